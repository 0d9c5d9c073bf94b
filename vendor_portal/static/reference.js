// Draws the API reference from the served OpenAPI document with the vendored Redoc bundle.
(function () {
  "use strict";
  var target = document.getElementById("reference");
  if (!target || typeof Redoc === "undefined") {
    return;
  }
  Redoc.init(target.getAttribute("data-spec"), {
    hideDownloadButton: false,
    expandResponses: "200,201",
    jsonSampleExpandLevel: 2,
  }, target);
})();
