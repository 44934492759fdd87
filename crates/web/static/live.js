// Progressive enhancement of the host's live view (/sprechstunde): reloads the queue in place every
// few seconds, so the page stays where it is and focus is not lost; announces a changed queue politely.
// Without JavaScript the page works the same, with a reload link and an opt-in automatic reload.
(function () {
  'use strict';
  var region = document.getElementById('live-content');
  if (!region || !window.fetch || !window.DOMParser) return;
  var seconds = parseInt(region.getAttribute('data-refresh'), 10) || 15;
  var status = document.createElement('p');
  status.className = 'visually-hidden';
  status.setAttribute('role', 'status');
  region.parentNode.insertBefore(status, region.nextSibling);
  function waiting(root) {
    return Array.prototype.map.call(root.querySelectorAll('.live-waiting'), function (e) {
      return e.textContent.trim();
    }).join(',');
  }
  function update() {
    // Never pull the content from under the keyboard or a screen reader's focus.
    if (region.contains(document.activeElement)) return;
    fetch(window.location.pathname, { credentials: 'same-origin', headers: { 'Accept': 'text/html' } })
      .then(function (res) {
        if (!res.ok || res.redirected) throw new Error('status ' + res.status);
        return res.text();
      })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, 'text/html');
        var fresh = doc.getElementById('live-content');
        if (!fresh) return;
        var before = waiting(region);
        region.innerHTML = fresh.innerHTML;
        var after = waiting(region);
        if (before !== after) {
          var label = doc.documentElement.lang === 'en' ? 'Waiting: ' : 'Wartend: ';
          status.textContent = label + (after || '0');
        }
      })
      .catch(function () { /* the next round tries again */ });
  }
  window.setInterval(update, seconds * 1000);
}());
