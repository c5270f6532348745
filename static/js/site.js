/* Site-wide touches, none needed for the pages to work: a poster image that
 * fails to load is hidden, so its placeholder (the title on a colour) shows
 * instead of a broken image. */
(function () {
  "use strict";
  function hide(img) { img.hidden = true; }
  document.addEventListener("error", function (event) {
    var el = event.target;
    if (el && el.tagName === "IMG" && el.hasAttribute("data-poster")) hide(el);
  }, true);
  Array.prototype.forEach.call(document.querySelectorAll("img[data-poster]"), function (img) {
    if (img.complete && img.naturalWidth === 0 && img.getAttribute("src")) hide(img);
  });
})();
