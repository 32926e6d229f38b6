/* The survey page's script (inlined, minified). Without it the form posts as a plain form; with it, each
   answer gets an id, goes into a localStorage queue first, and is sent with fetch as a simple request (no
   CORS preflight). It leaves the queue only when the collector stored it (200/201) or can never store it
   (400/413/415); anything else is sent again on `online`, on the next page load and on a backoff timer.
   The language switcher's links (hreflang) work without it; with it, the default address follows the
   customer's language on a first visit. */
(function () {
  "use strict";
  var QUEUE = "wowcard.queue";
  var DEVICE = "wowcard.device";
  var LANGUAGE = "wowcard.lang";  // the language the customer picked in a switcher
  var SOURCES = ["card", "sign", "receipt", "table", "email", "web"];
  var FIELDS = ["location", "v", "lang", "wow", "staff", "what", "people", "process", "product",
    "promises", "comment", "contact", "consent", "request"];
  var RATINGS = ["people", "process", "product"];
  var LEASE_MS = 30000;
  var sending = {};      // ids being sent by this page: never the same answer twice at once
  var memory = [];       // the queue when localStorage is unavailable (private mode, storage full)
  var current = null;    // the answer this page's form sent, and where to go when it is stored
  var form = document.querySelector("form[data-thanks]");
  var delay = 0;
  var timer = 0;

  function storage() {
    try {
      var s = window.localStorage, probe = "wowcard.probe";
      s.setItem(probe, "1");
      s.removeItem(probe);
      return s;
    } catch (e) {
      return null;
    }
  }

  function load() {
    var s = storage();
    if (!s) return memory;
    try {
      var q = JSON.parse(s.getItem(QUEUE) || "[]");
      return Array.isArray(q) ? q : [];
    } catch (e) {
      return [];
    }
  }

  function save(queue) {
    var s = storage();
    if (!s) { memory = queue; return false; }
    try {
      if (queue.length) s.setItem(QUEUE, JSON.stringify(queue)); else s.removeItem(QUEUE);
      return true;
    } catch (e) {
      memory = queue;
      return false;
    }
  }

  // Read, change and write the queue in one go; returns whether it reached localStorage.
  function update(change) {
    var queue = load();
    change(queue);
    return save(queue);
  }

  function indexOf(queue, id) {
    for (var i = 0; i < queue.length; i++) if (queue[i].answer && queue[i].answer.id === id) return i;
    return -1;
  }

  function hex(bytes) {
    var out = "";
    for (var i = 0; i < bytes.length; i++) out += (bytes[i] + 256).toString(16).slice(1);
    return out;
  }

  // crypto.randomUUID exists only in secure contexts (HTTPS, localhost); plain HTTP pages build their own.
  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64;
    b[8] = (b[8] & 63) | 128;
    var h = hex(b);
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function device() {
    var s = storage();
    if (!s) return null;
    var token = s.getItem(DEVICE);
    if (!/^[A-Za-z0-9_-]{8,64}$/.test(token || "")) {
      token = hex(crypto.getRandomValues(new Uint8Array(16)));
      try { s.setItem(DEVICE, token); } catch (e) { return null; }
    }
    return token;
  }

  function collect(form) {
    var answer = { id: uuid() };
    var data = new FormData(form);
    data.forEach(function (value, name) {
      if (name === "promises") {
        (answer.promises = answer.promises || []).push(value);
      } else if (name === "website") {
        answer.website = value;
      } else if (String(value).trim() !== "") {
        answer[name] = RATINGS.indexOf(name) >= 0 ? Number(value) : value;
      }
    });
    var src = new URLSearchParams(location.search).get("src");
    if (SOURCES.indexOf(src) >= 0) answer.src = src;
    var token = device();
    if (token) answer.device = token;
    if (answer.website === undefined) answer.website = "";
    return answer;
  }

  function schedule(seconds) {
    delay = Math.min(Math.max(delay * 2, 5000), 300000);
    var wait = Math.max(delay, (seconds || 0) * 1000) * (0.8 + Math.random() * 0.4);
    clearTimeout(timer);
    timer = setTimeout(flush, wait);
  }

  function finish(id, destination) {
    update(function (queue) {
      var i = indexOf(queue, id);
      if (i >= 0) queue.splice(i, 1);
    });
    if (!current || current.id !== id) return;
    if (destination.replace) {
      location.replace(destination.url);  // stored: Back must not offer the same answer again
    } else {
      ready();  // rejected: coming Back to the form, the customer corrects it and sends a new answer
      location.assign(destination.url);
    }
  }

  function ready() {
    var button = form && form.querySelector("button");
    current = null;
    if (button && button.disabled) {
      button.disabled = false;
      button.textContent = button.getAttribute("data-send");
    }
  }

  function json(response) {
    return response.json().catch(function () { return {}; });
  }

  function send(item) {
    var id = item.answer.id;
    if (sending[id]) return;
    sending[id] = true;
    update(function (queue) {
      var i = indexOf(queue, id);
      if (i >= 0) queue[i].lease = Date.now() + LEASE_MS;
    });
    fetch(item.url, {
      method: "POST",
      headers: { "Content-Type": "text/plain;charset=UTF-8" },
      body: JSON.stringify(item.answer),
      credentials: "omit",
      keepalive: true
    }).then(function (response) {
      var status = response.status;
      if (status === 200 || status === 201) {
        return json(response).then(function (body) {
          // A captive portal also answers 200: only the collector's own answer takes it off the queue.
          if (body.status !== "stored" && body.status !== "duplicate") throw new Error("not the collector");
          delay = 0;
          finish(id, { replace: true, url: current && current.thanks + (body.contact_dropped ? "#contact-dropped" : "") });
        });
      }
      if (status === 400 || status === 413 || status === 415) {
        return json(response).then(function (body) {
          var field = FIELDS.indexOf(body.field) >= 0 ? body.field : "request";
          finish(id, { replace: false, url: current && current.error + "#" + field });
        });
      }
      var retry = Number(response.headers.get("Retry-After")) || 0;
      throw { retry: retry };
    }).catch(function (failure) {
      update(function (queue) {
        var i = indexOf(queue, id);
        if (i >= 0) delete queue[i].lease;
      });
      if (current && current.id === id) waiting();
      schedule(failure && failure.retry);
    }).then(function () {
      delete sending[id];
    });
  }

  // Send everything queued that no other page of this origin is sending right now.
  function flush() {
    var now = Date.now(), leased = false;
    load().forEach(function (item) {
      if (!item || !item.answer || !item.url) return;
      if (item.lease > now) leased = true; else send(item);
    });
    if (leased) schedule(LEASE_MS / 1000);
  }

  // Tell the customer their answer is safe, once: no spinner, no second send button.
  function waiting() {
    var status = document.getElementById("status");
    if (!status || !form || form.hidden) return;
    var kind = storage() ? "saved" : "keep";
    var title = document.createElement("h1");
    var text = document.createElement("p");
    title.textContent = status.getAttribute("data-" + kind + "-title");
    text.textContent = status.getAttribute("data-" + kind);
    form.hidden = true;
    status.appendChild(title);
    status.appendChild(text);
    status.focus();
  }

  // A language tag's language, except that Chinese is told apart by script: zh-TW/HK/MO and zh-Hant read
  // Traditional characters, zh-CN/SG, zh-Hans and plain zh Simplified.
  function base(tag) {
    var language = tag.split("-")[0];
    if (language !== "zh") return language;
    return /-(hant|tw|hk|mo)(-|$)/.test(tag) ? "zh-hant" : "zh-hans";
  }

  // The first of the phone's languages that one of `codes` serves: the same tag, else the same language.
  function match(wanted, codes) {
    for (var i = 0; i < wanted.length; i++) {
      var tag = String(wanted[i]).toLowerCase(), j;
      for (j = 0; j < codes.length; j++) if (codes[j].toLowerCase() === tag) return codes[j];
      for (j = 0; j < codes.length; j++) if (base(codes[j].toLowerCase()) === base(tag)) return codes[j];
    }
    return null;
  }

  // Remember a language picked in the switcher (and keep ?src= across it). On the default address
  // ([data-auto]), go to the page of the remembered language, else of the phone's first language that has
  // one. Only the default address moves, and only to a page of another language, which never moves: no loop.
  function followLanguage() {
    var links = {}, codes = [], found = document.querySelectorAll("a[hreflang]"), s = storage();
    Array.prototype.forEach.call(found, function (link) {
      var code = link.getAttribute("hreflang");
      links[code] = link;
      codes.push(code);
      link.addEventListener("click", function () {
        if (s) {
          try { s.setItem(LANGUAGE, code); } catch (e) { /* the choice is not remembered; it still works */ }
        }
        link.search = location.search;
      });
    });
    if (!codes.length || !document.querySelector("[data-auto]")) return false;
    var chosen = s && s.getItem(LANGUAGE);
    var want = codes.indexOf(chosen) >= 0 ? chosen : match(navigator.languages || [navigator.language || ""], codes);
    if (!want || want === document.documentElement.lang) return false;
    location.replace(links[want].pathname + location.search + location.hash);
    return true;
  }

  if (followLanguage()) return;  // the page in the customer's language sends the queue instead
  if (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (current) return;
      var answer = collect(form);
      current = { id: answer.id, thanks: form.getAttribute("data-thanks"), error: form.getAttribute("data-error") };
      var button = form.querySelector("button");
      if (button) {
        button.disabled = true;
        button.textContent = button.getAttribute("data-sending");
      }
      var item = { url: form.action, answer: answer };
      update(function (queue) { queue.push(item); });
      send(item);
    });
  }
  window.addEventListener("online", function () { delay = 0; flush(); });
  flush();
})();
