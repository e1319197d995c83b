/* Công đoàn TKV: the little JavaScript the site uses. Everything works without it: the menu is
   open, video and share links lead to YouTube and Facebook. No third-party script is loaded. */
(function () {
  "use strict";
  var d = document;

  /* Phone menu: the "Chuyên mục" link (which opens the menu through CSS :target when there is
     no script) becomes a button that shows and hides the list of sections. */
  var toggle = d.querySelector(".menu-toggle");
  var menu = d.getElementById("menu-chinh");
  function setMenu(open) {
    toggle.setAttribute("aria-expanded", String(open));
    menu.classList.toggle("open", open);
  }
  if (toggle && menu) {
    toggle.setAttribute("role", "button");
    toggle.setAttribute("aria-controls", "menu-chinh");
    toggle.setAttribute("aria-expanded", "false");
    toggle.addEventListener("click", function (e) {
      e.preventDefault();
      setMenu(toggle.getAttribute("aria-expanded") !== "true");
    });
    toggle.addEventListener("keydown", function (e) {
      if (e.key === " ") { e.preventDefault(); toggle.click(); }
    });
    d.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && toggle.getAttribute("aria-expanded") === "true") {
        setMenu(false);
        toggle.focus();
      }
    });
  }

  /* Phone header: the search button shows the search field in place (without script it
     opens the search page). */
  var finder = d.querySelector(".search-toggle");
  var field = d.getElementById("tim-nhanh-form");
  if (finder && field) {
    finder.setAttribute("role", "button");
    finder.setAttribute("aria-controls", "tim-nhanh-form");
    finder.setAttribute("aria-expanded", "false");
    finder.addEventListener("click", function (e) {
      e.preventDefault();
      var open = finder.getAttribute("aria-expanded") !== "true";
      finder.setAttribute("aria-expanded", String(open));
      field.classList.toggle("open", open);
      if (open) field.querySelector("input").focus();
    });
    finder.addEventListener("keydown", function (e) {
      if (e.key === " ") { e.preventDefault(); finder.click(); }
    });
  }

  /* Article page: the site's newest stories, from the small static file written by the
     build (a publish changes that file, not every article page). */
  var side = d.querySelector(".side-latest[data-latest]");
  if (side && window.fetch) {
    fetch(side.getAttribute("data-latest")).then(function (r) {
      if (!r.ok) throw new Error(r.status);
      return r.json();
    }).then(function (data) {
      var current = side.getAttribute("data-current");
      var list = side.querySelector(".latest-list");
      (data.articles || []).filter(function (a) {
        return a.url.slice(-current.length - 1) !== "/" + current;
      }).slice(0, 6).forEach(function (a) {
        var li = d.createElement("li");
        var link = d.createElement("a");
        link.href = a.url;
        link.textContent = a.title;
        var time = d.createElement("time");
        time.dateTime = a.date;
        time.textContent = a.when;
        li.appendChild(link);
        li.appendChild(time);
        list.appendChild(li);
      });
      side.hidden = !list.children.length;
    }).catch(function () { /* offline or not built: the list stays hidden */ });
  }

  /* Offline reading: the service worker (sw.js, at the site root) keeps the shell, the
     newest articles and every article read. */
  var worker = d.querySelector("meta[name=offline-worker]");
  if (worker && "serviceWorker" in navigator && window.isSecureContext) {
    navigator.serviceWorker.register(worker.getAttribute("content")).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (reg) {
      if (navigator.onLine && reg.active) reg.active.postMessage("cap-nhat");
    }).catch(function () { /* no offline reading in this browser */ });
  }

  /* The offline page: the articles kept on this device (sw.js writes their list). */
  var kept = d.querySelector(".offline-list");
  if (kept && window.caches) {
    caches.open("bai-viet").then(function (cache) {
      return cache.match(new URL("/__da-doc.json", location.href).href);
    }).then(function (r) { return r ? r.json() : []; }).then(function (list) {
      list.slice().reverse().forEach(function (a) {
        var li = d.createElement("li");
        var link = d.createElement("a");
        link.href = a.url;
        link.textContent = a.title || a.url;
        li.appendChild(link);
        if (a.when) {
          var time = d.createElement("time");
          time.textContent = a.when;
          li.appendChild(time);
        }
        kept.appendChild(li);
      });
      var empty = d.querySelector(".offline-empty");
      if (empty) empty.hidden = list.length > 0;
    }).catch(function () {});
  }

  /* Share: Zalo through the phone's share sheet (or a copied link), copy link. */
  function say(box, text) {
    var status = box && box.querySelector(".share-status");
    if (status) status.textContent = text;
  }
  function copy(text) {
    if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
    return new Promise(function (resolve, reject) {
      var area = d.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.style.position = "fixed";
      area.style.opacity = "0";
      d.body.appendChild(area);
      area.select();
      var ok = false;
      try { ok = d.execCommand("copy"); } catch (err) { ok = false; }
      d.body.removeChild(area);
      if (ok) { resolve(); } else { reject(new Error("copy")); }
    });
  }
  function absolute(url) { return new URL(url, location.href).href; }
  d.querySelectorAll(".share-fb[data-url]").forEach(function (link) {
    /* a preview build has root-relative URLs: give Facebook the full address */
    link.href = "https://www.facebook.com/sharer/sharer.php?u=" +
      encodeURIComponent(absolute(link.getAttribute("data-url")));
  });
  d.querySelectorAll("[data-share]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var box = button.closest(".share");
      var url = absolute(button.getAttribute("data-url"));
      if (button.getAttribute("data-share") === "zalo" && navigator.share) {
        navigator.share({ title: button.getAttribute("data-title") || d.title, url: url })
          .catch(function () { /* the reader closed the share sheet */ });
        return;
      }
      copy(url).then(function () {
        say(box, button.getAttribute("data-share") === "zalo"
          ? "Đã chép đường dẫn. Mở Zalo và dán vào cuộc trò chuyện để chia sẻ."
          : "Đã chép đường dẫn bài viết.");
      }, function () {
        say(box, "Không chép được. Đường dẫn bài viết: " + url);
      });
    });
  });

  /* YouTube: the player (youtube-nocookie) loads only when the reader asks for it. */
  d.querySelectorAll(".video[data-video]").forEach(function (box) {
    var start = box.querySelector(".video-start");
    if (!start) return;
    start.addEventListener("click", function (e) {
      e.preventDefault();
      var id = box.getAttribute("data-video");
      var frame = d.createElement("iframe");
      frame.src = "https://www.youtube-nocookie.com/embed/" + encodeURIComponent(id) + "?autoplay=1&rel=0";
      frame.title = "Video: " + (box.getAttribute("data-title") || "YouTube");
      frame.allow = "accelerometer; autoplay; clipboard-write; encrypted-media; gyroscope; picture-in-picture";
      frame.allowFullscreen = true;
      frame.referrerPolicy = "strict-origin-when-cross-origin";
      start.replaceWith(frame);
      frame.focus();
    });
  });
})();
