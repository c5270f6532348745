// The check-in page with JavaScript: answers without a reload (POST
// /api/v1/checkins with the session cookie and CSRF token), and camera
// scanning where the browser has BarcodeDetector. Without it the form posts.
(function () {
  "use strict";
  var root = document.querySelector(".checkin");
  if (!root || !window.fetch) return;
  var form = document.getElementById("checkin-form");
  var input = document.getElementById("checkin-code");
  var result = document.getElementById("checkin-result");
  var api = root.getAttribute("data-api");
  var busy = false;

  function csrf() {
    var field = form.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function line(cls, text) {
    var p = document.createElement("p");
    p.className = cls;
    p.textContent = text;
    return p;
  }

  function show(outcome, verdict, details) {
    result.className = "checkin__result checkin__result--" + outcome.toLowerCase();
    result.textContent = "";
    result.appendChild(line("checkin__verdict", verdict));
    details.forEach(function (d) { result.appendChild(line(d[0], d[1])); });
  }

  function localTime(iso) {
    try { return new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }); } catch (e) { return iso; }
  }

  function submit(code) {
    if (busy || !code) return;
    busy = true;
    fetch(api, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf(), "Accept": "application/json" },
      body: JSON.stringify({ code: code })
    }).then(function (r) {
      return r.json().then(function (body) { return { status: r.status, body: body }; });
    }).then(function (res) {
      var b = res.body;
      if (res.status === 200) {
        show("ADMITTED", "\u2713 Admitted", [
          ["checkin__detail", b.order.code + " \u00b7 " + b.order.movie + " \u00b7 " + b.order.screen],
          ["checkin__seats", "Seats: " + b.seats.join(", ")]
        ]);
      } else {
        var err = (b && b.error) || { code: "ERROR", message: "Something went wrong." };
        var verdict = { ALREADY_CHECKED_IN: "\u2717 Already admitted", NOT_FOUND: "\u2717 Unknown code" }[err.code] || "\u2717 Not admissible";
        var text = err.message;
        if (err.code === "ALREADY_CHECKED_IN" && err.admitted_at) text = "First admitted at " + localTime(err.admitted_at) + ".";
        show(err.code, verdict, [["checkin__detail", code + ": " + text]]);
      }
    }).catch(function () {
      show("NOT_ADMISSIBLE", "\u2717 No answer", [["checkin__detail", "The server did not answer. Try again."]]);
    }).then(function () {
      busy = false;
      input.value = "";
      input.focus();
    });
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    submit(input.value.trim());
  });

  // Camera scanning: only where the browser can decode QR codes itself.
  if (!("BarcodeDetector" in window) || !navigator.mediaDevices) return;
  window.BarcodeDetector.getSupportedFormats().then(function (formats) {
    if (formats.indexOf("qr_code") < 0) return;
    var wrap = root.querySelector(".checkin__camera");
    var button = document.getElementById("checkin-scan");
    var video = document.getElementById("checkin-video");
    var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    var last = "", lastAt = 0;
    wrap.hidden = false;
    button.addEventListener("click", function () {
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (stream) {
        video.srcObject = stream;
        video.hidden = false;
        button.hidden = true;
        return video.play();
      }).then(function tick() {
        detector.detect(video).then(function (codes) {
          var now = Date.now();
          if (codes.length && (codes[0].rawValue !== last || now - lastAt > 5000)) {
            last = codes[0].rawValue; lastAt = now;
            submit(last);
          }
        }).catch(function () {}).then(function () { setTimeout(tick, 250); });
      }).catch(function () {
        show("NOT_ADMISSIBLE", "Camera unavailable", [["checkin__detail", "Type the code instead."]]);
      });
    });
  });
})();
