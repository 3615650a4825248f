// Storekeeper offline queue: scan actions made without a connection are kept on the phone (IndexedDB) and sent
// when the connection is back, whenever the app opens, and on "Send now". Nothing is dropped silently: an item
// leaves the queue only when the server answered it with a 2xx (applied, or "already recorded") or with a recorded
// conflict (X-Scan-Conflict header; the person resolves it on /scan/conflicts). A stale sign-in or CSRF token keeps
// the item and asks the person to sign in again. Each scan carries its own scan id, so the server applies it once.
//
// Multi-step forms (a bin, then items; a check-out batch) are filled in on the phone while offline (steps.js): a
// scan that only fills in the form is never kept, only one that completes an action.
//
// Also here: the service worker registration, and a full navigation when a boosted link fails offline (so the
// service worker can show the kept page or the offline page).
(function () {
  "use strict";
  var SK = (window.Storekeeper = window.Storekeeper || {});
  var DB_NAME = "storekeeper";
  var STORE = "scan-queue";
  var RETRY_MS = 30000;

  // ---------------------------------------------------------------- IndexedDB
  var dbPromise = null;
  function openDb() {
    if (dbPromise) return dbPromise;
    dbPromise = new Promise(function (resolve, reject) {
      if (!window.indexedDB) { reject(new Error("no IndexedDB")); return; }
      var req = indexedDB.open(DB_NAME, 1);
      req.onupgradeneeded = function () {
        var db = req.result;
        if (!db.objectStoreNames.contains(STORE)) {
          db.createObjectStore(STORE, { keyPath: "scan_id" }).createIndex("queued_at", "queued_at");
        }
      };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
    dbPromise.catch(function () { dbPromise = null; });
    return dbPromise;
  }
  function run(mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(STORE, mode);
        var result;
        var store = t.objectStore(STORE);
        var req = work(store);
        if (req) req.onsuccess = function () { result = req.result; };
        t.oncomplete = function () { resolve(result); };
        t.onerror = function () { reject(t.error); };
        t.onabort = function () { reject(t.error); };
      });
    });
  }
  function all() {
    return run("readonly", function (s) { return s.index("queued_at").getAll(); }).then(function (r) { return r || []; });
  }
  function put(item) { return run("readwrite", function (s) { return s.put(item); }).then(changed); }
  function remove(scanId) { return run("readwrite", function (s) { return s.delete(scanId); }).then(changed); }

  // ---------------------------------------------------------------- what the person sees
  function currentUser() {
    var meta = document.querySelector('meta[name="sk-user"]');
    return meta ? meta.getAttribute("content") : "";
  }
  SK.currentUser = currentUser; // steps.js keeps its offline codes per person too
  // Scans are replayed as the person who made them: another person signed in on the same phone waits.
  function mine(item) { return !item.user || item.user === currentUser(); }
  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }
  function say(text, kind, link) {
    var flash = document.getElementById("flash");
    if (!flash) return;
    var p = document.createElement("p");
    p.className = "msg msg-" + (kind || "ok");
    p.setAttribute("data-queue-message", "");
    p.textContent = text;
    if (link) {
      p.appendChild(document.createTextNode(" "));
      var a = document.createElement("a");
      a.href = link.href;
      a.textContent = link.text;
      p.appendChild(a);
    }
    flash.textContent = "";
    flash.appendChild(p);
  }
  var lastItems = [];
  function changed() {
    return all().then(function (items) {
      lastItems = items;
      render(items);
      return items;
    }, function () { return []; });
  }
  function render(items) {
    var badge = document.getElementById("pending-badge");
    var signin = items.some(function (i) { return i.state === "signin"; });
    if (badge) {
      badge.hidden = items.length === 0;
      badge.textContent = items.length + " pending" + (signin ? " · sign in" : "");
      badge.classList.toggle("badge-pending", items.length > 0);
      badge.setAttribute("data-count", String(items.length));
    }
    var list = document.querySelector("[data-queue-list]");
    if (list) {
      list.textContent = "";
      items.forEach(function (item) {
        var li = document.createElement("li");
        li.setAttribute("data-queue-item", item.scan_id);
        var strong = document.createElement("strong");
        strong.textContent = item.label || item.url;
        var meta = document.createElement("span");
        meta.className = "muted";
        meta.textContent = " " + item.url + " · " + new Date(item.device_time || item.queued_at).toLocaleString() +
          (item.last_error ? " · " + item.last_error : "") +
          (mine(item) ? "" : " · waiting for the person who scanned it to sign in");
        li.appendChild(strong);
        li.appendChild(meta);
        list.appendChild(li);
      });
    }
    var summary = document.querySelector("[data-queue-summary]");
    if (summary) {
      summary.textContent = items.length
        ? items.length + " scan" + (items.length === 1 ? "" : "s") + " kept on this phone, waiting to be sent."
        : "Nothing waiting: every scan made on this phone has reached the server.";
    }
  }

  // ---------------------------------------------------------------- capture
  function scanForm(elt) {
    if (!elt || !elt.closest) return null;
    var form = elt.matches("form") ? elt : elt.closest("form");
    return form && form.matches("[data-scan-action]") ? form : null;
  }
  function newId() {
    if (SK.newScanId) return SK.newScanId();
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    return Array.prototype.map.call(b, function (x) { return ("0" + x.toString(16)).slice(-2); }).join("");
  }
  function keep(form, path, label) {
    var fields = [];
    new FormData(form).forEach(function (value, name) {
      if (name !== "csrf_token" && typeof value === "string") fields.push([name, value]);
    });
    var get = function (n) { var f = fields.filter(function (p) { return p[0] === n; })[0]; return f ? f[1] : ""; };
    var scanId = get("scan_id");
    if (!scanId) return Promise.reject(new Error("this form has no scan id"));
    var now = new Date().toISOString();
    if (!get("device_time")) fields.push(["device_time", now]);
    var input = form.querySelector("[data-scan-input]");
    var url = new URL(path || form.getAttribute("hx-post") || form.action, location.href);
    var item = {
      scan_id: scanId,
      url: url.pathname + url.search,
      fields: fields,
      label: label || (input ? input.value : ""),
      user: currentUser(),
      device_time: get("device_time") || now,
      queued_at: now,
      attempts: 0,
      state: "waiting",
      last_error: "",
    };
    return put(item).then(function (items) {
      // The form is ready for the next scan, with an id of its own.
      var idField = form.querySelector("[data-scan-id]") || form.querySelector("input[name=scan_id]");
      if (idField) idField.value = newId();
      var time = form.querySelector("[data-device-time]");
      if (time) time.value = "";
      if (input) input.value = "";
      say("Saved on this phone: it will be sent when the connection is back (" + items.length + " waiting).", "warn");
      form.dispatchEvent(new CustomEvent("scan-queued", { bubbles: true, detail: { scan_id: scanId } }));
      document.dispatchEvent(new CustomEvent("storekeeper:queued", { detail: item }));
      if (SK.focusScan) SK.focusScan();
      return item;
    });
  }
  function keepOrWarn(form, path, label) {
    return keep(form, path, label).catch(function (err) {
      say("This scan could not be kept on the phone (" + err.message + "). Write it down and try again later.", "error");
      document.dispatchEvent(new CustomEvent("scan-failed", { detail: { message: "not kept" } }));
      document.dispatchEvent(new CustomEvent("storekeeper:queued", { detail: null }));
    });
  }
  function pathOf(detail) {
    return (detail && detail.requestConfig && detail.requestConfig.path) || (detail && detail.pathInfo && detail.pathInfo.requestPath);
  }
  function verbOf(detail) {
    return ((detail && detail.requestConfig && detail.requestConfig.verb) || "").toLowerCase();
  }
  // What the request would have sent, with the button that sent it (FormData(form) alone lacks the button).
  function sentData(detail, form) {
    return (detail && detail.requestConfig && detail.requestConfig.formData) || new FormData(form);
  }
  // A scan action the server cannot be asked about now. A multi-step form fills itself in on the phone (steps.js);
  // what completes an action, and every other scan action, is kept.
  function capture(form, detail) {
    var step = null;
    try {
      step = SK.steps ? SK.steps.offline(form, sentData(detail, form)) : null;
    } catch (err) {
      step = null; // whatever went wrong there, the scan is kept as it is rather than lost
    }
    if (step && !step.queue) {
      document.dispatchEvent(new CustomEvent("storekeeper:handled", { detail: { form: form } }));
      if (SK.focusScan) SK.focusScan();
      return;
    }
    keepOrWarn(form, pathOf(detail), step && step.label).then(function (item) {
      if (item && step && step.after) step.after(item);
    });
  }

  // Offline already: do not even try; keep the scan.
  document.addEventListener("htmx:beforeRequest", function (ev) {
    var form = scanForm(ev.detail.elt);
    if (!form || navigator.onLine || verbOf(ev.detail) === "get") return;
    ev.preventDefault();
    capture(form, ev.detail);
  });
  // The request never got an answer (network gone, server down): keep the scan. The server may have applied it
  // before the line broke; the replay then answers "already recorded", never a second application.
  function unreachable(ev) {
    var form = scanForm(ev.detail.elt);
    var verb = verbOf(ev.detail);
    if (form && verb !== "get") { capture(form, ev.detail); return; }
    if (verb === "get" && ev.detail.boosted && pathOf(ev.detail)) {
      // A boosted link offline: let the browser navigate so the service worker can answer.
      location.href = pathOf(ev.detail);
      return;
    }
    say("No connection: that needs the server. Scans on action pages are kept on this phone.", "warn");
  }
  document.addEventListener("htmx:sendError", unreachable);
  document.addEventListener("htmx:timeout", unreachable);
  document.addEventListener("htmx:afterRequest", function (ev) {
    var xhr = ev.detail.xhr;
    if (!xhr || [502, 503, 504].indexOf(xhr.status) < 0) return;
    var form = scanForm(ev.detail.elt);
    if (form && verbOf(ev.detail) !== "get") capture(form, ev.detail);
  });

  // ---------------------------------------------------------------- replay
  var replaying = null;
  var refusedToken = null; // the token the server refused: no point in trying again until the page has a new one
  function send(item) {
    var body = new URLSearchParams();
    item.fields.forEach(function (p) { body.append(p[0], p[1]); });
    return fetch(item.url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: {
        "X-Scan-Replay": "1",
        "X-CSRFToken": csrfToken(), // read fresh for every request: a sign-in in between renews it
        "HX-Request": "true",
        "Accept": "text/html",
      },
    });
  }
  function replayAll() {
    var sent = 0, conflicts = 0, needSignIn = false, stopped = false;
    return all().then(function (items) {
      var chain = Promise.resolve();
      items.forEach(function (item) {
        chain = chain.then(function () {
          if (stopped || !mine(item)) return;
          item.attempts = (item.attempts || 0) + 1;
          return send(item).then(function (resp) {
            var toLogin = resp.redirected && new URL(resp.url).pathname === "/login";
            if (resp.headers.get("X-Scan-Conflict")) {
              conflicts++;
              return remove(item.scan_id);
            }
            if (resp.ok && !toLogin) {
              sent++;
              return remove(item.scan_id);
            }
            if (toLogin || resp.status === 401 || resp.status === 400 || resp.status === 403) {
              // Signed out, or the page's security token is stale: keep everything, ask for a new sign-in.
              needSignIn = true;
              stopped = true;
              refusedToken = csrfToken();
              item.state = "signin";
              item.last_error = "sign in again to send";
              return put(item);
            }
            item.last_error = "server answered " + resp.status;
            stopped = true; // server trouble: try again later rather than hammer it
            return put(item);
          }, function () {
            stopped = true; // still no connection
          });
        });
      });
      return chain;
    }).then(function () {
      if (needSignIn) {
        say("Scans are waiting on this phone: sign in again to send them.", "warn",
          { href: "/login?next=" + encodeURIComponent(location.pathname), text: "Sign in" });
      } else if (conflicts) {
        say(conflicts + " scan" + (conflicts === 1 ? "" : "s") + " sent from this phone could not be applied.", "error",
          { href: "/scan/conflicts", text: "See conflicts" });
      } else if (sent) {
        say(sent + " scan" + (sent === 1 ? "" : "s") + " kept on this phone " + (sent === 1 ? "was" : "were") + " sent.", "ok");
      }
      if (sent || conflicts) document.body.dispatchEvent(new CustomEvent("scans-replayed", { bubbles: true, detail: { sent: sent, conflicts: conflicts } }));
      return changed().then(function (items) {
        return { sent: sent, conflicts: conflicts, signIn: needSignIn, pending: items.length };
      });
    });
  }
  function replay() {
    if (replaying) return replaying;
    if (!navigator.onLine || !csrfToken()) return changed().then(function (items) { return { sent: 0, pending: items.length }; });
    var work = function () { return replayAll(); };
    // One tab at a time replays (the server would apply each once anyway; this just avoids double traffic).
    var p = navigator.locks && navigator.locks.request ? navigator.locks.request("storekeeper-replay", work) : work();
    replaying = p.then(function (r) { replaying = null; return r; }, function (e) { replaying = null; throw e; });
    return replaying;
  }

  SK.queue = { all: all, put: put, remove: remove, replay: replay, refresh: changed };
  SK.say = say;

  window.addEventListener("online", function () { replay(); });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") replay();
  });
  setInterval(function () {
    if (lastItems.length && csrfToken() !== refusedToken) replay();
  }, RETRY_MS);
  document.addEventListener("click", function (ev) {
    var button = ev.target.closest && ev.target.closest("[data-queue-send]");
    if (button) { ev.preventDefault(); replay(); }
  });
  document.addEventListener("htmx:load", function () { render(lastItems); });
  // Signing out with scans still on the phone: say so (they stay, and go when this person signs in again).
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!form.action || new URL(form.action, location.href).pathname !== "/logout") return;
    var waiting = lastItems.filter(mine).length;
    if (waiting && !window.confirm(waiting + " scan" + (waiting === 1 ? " is" : "s are") +
        " still waiting on this phone. They are kept and sent when you sign in again. Sign out anyway?")) {
      ev.preventDefault();
      ev.stopImmediatePropagation();
    }
  }, true);
  // The service worker keeps a page as the server rendered it, scan ids included, and the first scan made on it
  // online used that id. Opened again from the worker's cache, the page would offer the same id to a new scan, which
  // the server would answer "already recorded" — and the phone would drop it as sent. So every page starts with ids
  // made on the phone (any fresh id will do: a resent scan reuses the id its form had when it was sent).
  function freshIds() {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-scan-action] [data-scan-id]"), function (field) {
      field.value = newId();
    });
  }
  function boot() {
    freshIds();
    replay(); // whenever the app opens (iOS has no Background Sync)
    if ("serviceWorker" in navigator && window.isSecureContext) {
      navigator.serviceWorker.register("/sw.js", { scope: "/", updateViaCache: "none" }).catch(function () {});
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
  else boot();
})();
