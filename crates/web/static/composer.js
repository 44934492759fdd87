// Progressive enhancement of the composer (/beitraege/neu, /beitraege/{id}/bearbeiten): while the editor
// types or changes channels, variants or chosen files, the form's text fields (never the image files) go to
// POST /beitraege/vorschau and the preview with its per-channel counts is replaced by the server's answer.
// The counting stays on the server; this script only carries text there and back. Debounced (300 ms),
// never more than one request in flight. Only the one-line summary is a polite live region, so a screen
// reader hears "Bluesky: 312 von 300 Graphemen – zu lang", not the whole preview on every keystroke.
// Without JavaScript the "Vorschau aktualisieren" button does the same with a full page.
(function () {
  'use strict';
  var form = document.querySelector('form.composer[data-preview]');
  if (!form || !window.fetch || !window.FormData || !window.DOMParser) return;
  var url = form.getAttribute('data-preview');
  var channels = document.getElementById('preview-channels');
  var summary = document.getElementById('preview-summary');
  if (!url || !channels || !summary) return;
  var timer = null;
  var inFlight = false;
  var again = false;

  function textFields() {
    var all = new FormData(form);
    var out = new FormData();
    all.forEach(function (value, name) {
      if (typeof value === 'string') {
        out.append(name, value);
      } else if (value && value.size > 0 && name.indexOf('upload.') === 0) {
        // Only that a file is chosen (it counts as media), never the file itself.
        out.append('pending_upload', name.slice('upload.'.length));
      }
    });
    return out;
  }

  function apply(html) {
    var doc = new DOMParser().parseFromString(html, 'text/html');
    var fresh = doc.getElementById('preview-channels');
    var freshSummary = doc.getElementById('preview-summary');
    if (!fresh || !freshSummary) return;
    var nodes = Array.prototype.map.call(fresh.childNodes, function (n) {
      return document.importNode(n, true);
    });
    while (channels.firstChild) channels.removeChild(channels.firstChild);
    nodes.forEach(function (n) { channels.appendChild(n); });
    var said = freshSummary.textContent.trim();
    if (said !== summary.textContent.trim()) summary.textContent = said;
  }

  function send() {
    if (inFlight) { again = true; return; }
    inFlight = true;
    again = false;
    fetch(url, {
      method: 'POST',
      body: textFields(),
      credentials: 'same-origin',
      headers: { 'Accept': 'text/html' },
    })
      .then(function (res) {
        if (!res.ok || res.redirected) throw new Error('status ' + res.status);
        return res.text();
      })
      .then(apply)
      .catch(function () { /* the button still works; the next change tries again */ })
      .then(function () {
        inFlight = false;
        if (again) send();
      });
  }

  function changed(event) {
    var t = event.target;
    if (!t || !t.name) return;
    window.clearTimeout(timer);
    timer = window.setTimeout(send, 300);
  }
  form.addEventListener('input', changed);
  form.addEventListener('change', changed);
}());
