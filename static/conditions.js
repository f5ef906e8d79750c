// Shows and hides an operation form's conditional fields as it is filled in. Progressive
// enhancement only: without this script every such field is shown with its note, and the server
// decides on submit. A hidden field's controls are disabled, so nothing is sent for it (the
// record keeps its value). Comparisons follow the server's: no value meets no condition;
// numbers compare as numbers, everything else as text.
(function () {
  "use strict";
  var form = document.querySelector("form[enctype='multipart/form-data']");
  if (!form) return;
  var ruled = form.querySelectorAll("[data-visible-when]");
  if (!ruled.length) return;

  function values(name) {
    var out = [];
    var els = form.elements.namedItem(name);
    if (!els) return null;
    var list = els instanceof Element ? [els] : Array.prototype.slice.call(els);
    list.forEach(function (el) {
      if (el.disabled) return;
      if ((el.type === "checkbox" || el.type === "radio") && !el.checked) return;
      if (el.value.trim() !== "") out.push(el.value.trim());
    });
    return out;
  }

  function leaf(c) {
    var held = values(c.field);
    if (held === null) return null; // not in this form: the server decides
    if (!held.length) return false;
    var v = held[0];
    if (c.op === "contains_any") {
      return c.value.split(",").some(function (o) { return held.indexOf(o.trim()) >= 0; });
    }
    if (c.op === "contains") return v.toLowerCase().indexOf(c.value.toLowerCase()) >= 0;
    var a = parseFloat(v), b = parseFloat(c.value);
    var numeric = !isNaN(a) && !isNaN(b) && /^-?[0-9.]+$/.test(v) && /^-?[0-9.]+$/.test(c.value);
    var cmp = numeric ? (a > b) - (a < b) : (v > c.value) - (v < c.value);
    switch (c.op) {
      case "eq": return cmp === 0;
      case "ne": return cmp !== 0;
      case "gt": return cmp > 0;
      case "gte": return cmp >= 0;
      case "lt": return cmp < 0;
      case "lte": return cmp <= 0;
    }
    return null;
  }

  // true, false, or null when the form cannot tell.
  function holds(rule) {
    var list, any = false;
    if (Array.isArray(rule)) list = rule;
    else if (rule.all) list = rule.all;
    else if (rule.any) { list = rule.any; any = true; }
    else return leaf(rule);
    var results = list.map(holds);
    if (results.indexOf(null) >= 0) return null;
    return any ? results.indexOf(true) >= 0 : results.indexOf(false) < 0;
  }

  function update() {
    Array.prototype.forEach.call(ruled, function (div) {
      var rule;
      try { rule = JSON.parse(div.getAttribute("data-visible-when")); } catch (e) { return; }
      var shown = holds(rule) !== false;
      div.hidden = !shown;
      Array.prototype.forEach.call(div.querySelectorAll("input, select, textarea"), function (el) {
        el.disabled = !shown;
      });
    });
    // A section whose every field is hidden goes too (no empty titled box).
    Array.prototype.forEach.call(form.querySelectorAll("fieldset.section"), function (fs) {
      var items = fs.querySelectorAll(":scope > .field, :scope > [data-visible-when]");
      if (!items.length) return;
      fs.hidden = Array.prototype.every.call(items, function (el) { return el.hidden; });
    });
  }

  form.addEventListener("change", update);
  form.addEventListener("input", update);
  update();
})();
