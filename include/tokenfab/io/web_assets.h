// The web front ends' files, bundled from web/ by esbuild at build time (Chart.js included) and
// compiled into the binary, so reports and `tokenfab serve` need no network and no files.
#pragma once

#include <string_view>

namespace tokenfab {

// web/src/report.js and its imports: draws a report page from its embedded JSON.
std::string_view ReportBundleJs();
// web/src/app.js and its imports: the web app's script, served as /app.js.
std::string_view AppBundleJs();
// web/src/app.html: the web app's page, served as /.
std::string_view AppPageHtml();

}  // namespace tokenfab
