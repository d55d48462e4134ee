// Starts Swagger UI on the API reference page. Loaded from a file so the strict CSP (no inline script) holds.
window.addEventListener("DOMContentLoaded", function () {
  var root = document.getElementById("api-docs");
  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-spec-url"),
    dom_id: "#api-docs",
    deepLinking: true,
    tryItOutEnabled: false,
    persistAuthorization: false,
  });
});
