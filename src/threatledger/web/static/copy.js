// Copy the live (refanged) value of an indicator shown defanged on the page.
"use strict";
(function () {
  function fallbackCopy(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "offscreen";
    document.body.appendChild(area);
    area.select();
    try { document.execCommand("copy"); } finally { document.body.removeChild(area); }
    return Promise.resolve();
  }
  function copy(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).catch(function () { return fallbackCopy(text); });
    }
    return fallbackCopy(text);
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-copy]");
    if (!button) { return; }
    copy(button.getAttribute("data-copy")).then(function () {
      button.textContent = "copied";
      button.classList.add("copied");
      window.setTimeout(function () { button.textContent = "copy refanged"; button.classList.remove("copied"); }, 1500);
    });
  });
})();
