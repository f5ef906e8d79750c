// Adds a "Use my location" button beside each place input of an operation form. Progressive
// enhancement only: without this script (or when the browser will not tell where it is) people
// type "latitude, longitude" and the server reads it. The position fills the input as the
// server reads it, "48.8584, 2.2945 ± 12 m", rounded to 7 decimals (about a centimetre).
(function () {
  "use strict";
  // Browsers tell a position only to secure pages (HTTPS, or localhost): elsewhere, no button.
  if (!("geolocation" in navigator) || window.isSecureContext === false) return;
  var inputs = document.querySelectorAll("input[data-geolocation]");
  Array.prototype.forEach.call(inputs, function (input) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "subtle";
    button.textContent = "Use my location";
    var status = document.createElement("small");
    status.className = "help";
    status.setAttribute("role", "status");
    var box = input.parentNode; // span.geolocation: the input and, now, its button
    box.appendChild(button);
    box.parentNode.insertBefore(status, box.nextSibling);
    button.addEventListener("click", function () {
      button.disabled = true;
      status.textContent = "Finding your location…";
      navigator.geolocation.getCurrentPosition(
        function (pos) {
          var c = pos.coords;
          var text = c.latitude.toFixed(7).replace(/\.?0+$/, "") + ", " +
            c.longitude.toFixed(7).replace(/\.?0+$/, "");
          if (typeof c.accuracy === "number" && isFinite(c.accuracy)) {
            text += " ± " + Math.round(c.accuracy * 10) / 10 + " m";
          }
          input.value = text;
          input.dispatchEvent(new Event("input", { bubbles: true }));
          input.dispatchEvent(new Event("change", { bubbles: true }));
          status.textContent = "Location filled in; you can correct it before saving.";
          button.disabled = false;
        },
        function (err) {
          status.textContent = err && err.code === 1
            ? "Your browser did not share your location; type it instead."
            : "Your location could not be found; type it instead.";
          button.disabled = false;
        },
        { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
      );
    });
  });
})();
