// taxsms console: the live count of a broadcast's text while it is typed.
//
// The server draws the preview and the count at every load, so the compose
// page works without this file; it only keeps them current between loads.
// The count is the server's (campaign.Service.Preview, remind.Segments,
// protocol/sms.Count in UCS-2): the signature, the text with the example
// values put in and trimmed as Go's strings.TrimSpace trims, and the
// opt-out line unless the kind is internal; characters are Unicode code
// points; a text of at most 140 octets (70 characters) is one segment,
// a longer one is cut into segments of 134 octets (67 characters), each
// character 2 octets, one outside the Basic Multilingual Plane 4 and never
// divided.
"use strict";
(function () {
  var form = document.getElementById("compose");
  if (!form) {
    return;
  }
  var text = document.getElementById("f-template");
  var kind = document.getElementById("f-kind");
  var out = {
    preview: document.getElementById("compose-preview"),
    chars: document.getElementById("compose-chars"),
    segments: document.getElementById("compose-segments"),
    varies: document.getElementById("compose-varies")
  };
  var d = form.dataset;
  var values = { name: d.exName, identifier: d.exIdentifier, office: d.exOffice, admin: d.exAdmin };

  // Go's unicode.IsSpace, which strings.TrimSpace trims.
  var space = "[\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]";
  var trim = new RegExp("^" + space + "+|" + space + "+$", "g");

  // cut returns s cut to 40 characters, as the store and Render do.
  function cut(s) {
    var cps = Array.from(s || "");
    return cps.length <= 40 ? s : cps.slice(0, 40).join("");
  }

  function render(template) {
    var body = template.replace(/\r\n/g, "\n").replace(trim, "");
    body = body.replace(/\{(name|identifier|office|admin)\}/g, function (m, name) {
      return name === "identifier" ? values[name] : cut(values[name]);
    });
    var tail = kind && kind.value === d.internal ? "" : d.optout;
    return d.signature + body + tail;
  }

  // segments counts as protocol/sms.Count(text, "", UCS2): 0 when the text
  // would take more than 255 segments.
  function segments(s) {
    var total = 0, n = 1, used = 0;
    for (var ch of s) {
      var u = ch.codePointAt(0) >= 0x10000 ? 4 : 2;
      total += u;
      if (used + u > 134) {
        n++;
        used = 0;
      }
      used += u;
    }
    if (total <= 140) {
      return 1;
    }
    return n > 255 ? 0 : n;
  }

  function update() {
    var s = render(text.value);
    out.preview.textContent = s;
    out.chars.textContent = String(Array.from(s).length);
    out.segments.textContent = String(segments(s));
    if (out.varies) {
      out.varies.hidden = text.value.indexOf("{") < 0;
    }
  }

  text.addEventListener("input", update);
  if (kind) {
    kind.addEventListener("change", update);
  }
  update();
})();
