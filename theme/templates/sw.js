/* Công đoàn TKV: offline reading. Miners often have weak signal at the mine and in the
   dormitories: this worker keeps the site's shell, the newest articles with their first
   picture, and every article the reader opened, within a size budget. Nothing third-party is
   fetched or kept; when online, pages come from the network first and the newest list is
   refreshed. Written by the build from theme/templates/sw.js. */
"use strict";
const VERSION = {{ offline_version|tojson }};
const BASE = {{ SITEURL|tojson }};
const SHELL = "shell-" + VERSION;
const ARTICLES = "bai-viet";
const IMAGES = "anh";
const LATEST = BASE + "/" + {{ (latest_file or "tin-moi.json")|tojson }};
const OFFLINE = BASE + "/doc-ngoai-tuyen/";
const READ = BASE + "/__da-doc.json";  // the articles kept, with their titles
const BUDGET = {{ offline_budget|tojson }};  // bytes for articles and pictures together
const SHELL_FILES = {{ offline_shell|tojson }}.map((p) => BASE + "/" + p);
const ARTICLE = /^\/\d{4}\/\d{2}\/[^/]+\/$/;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL).then((c) => c.addAll(SHELL_FILES)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith("shell-") && name !== SHELL) await caches.delete(name);
    }
    await self.clients.claim();
    await keepNewest();
  })());
});

self.addEventListener("message", (event) => {
  if (event.data === "cap-nhat") event.waitUntil(keepNewest());
});

function stem(url) {
  // every size, crop and format of one photo: anh-bia-16x9-w480.webp -> anh-bia
  return url.replace(/-(\d+x\d+-)?w\d+\.[a-z0-9]+$/i, "");
}

// The list of kept articles is read, changed and written back by pages opened while the newest
// are being kept: one change at a time, or two at once lose one of them.
let listTurn = Promise.resolve();
function withList(change) {
  const run = listTurn.then(change, change);
  listTurn = run.catch(() => {});
  return run;
}

async function readList() {
  const found = await (await caches.open(ARTICLES)).match(READ);
  return found ? found.json() : [];
}

async function saveList(list) {
  const cache = await caches.open(ARTICLES);
  await cache.put(READ, new Response(JSON.stringify(list), { headers: { "Content-Type": "application/json" } }));
}

function titleOf(html) {
  const m = /<title>([^<]*)<\/title>/i.exec(html);
  return m ? m[1].replace(/&amp;/g, "&").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&#39;/g, "'").replace(/&quot;/g, "\"") : "";
}

function firstImage(html, pageUrl) {
  const m = /<img[^>]+src="([^"]+)"/i.exec(html.split("article-body")[0] || html);
  return m ? new URL(m[1].replace(/&amp;/g, "&"), pageUrl).href : null;
}

async function keepArticle(url, response, entry) {
  const html = await response.clone().text();
  const cache = await caches.open(ARTICLES);
  await cache.put(url, response);
  const image = (entry && entry.image) ? new URL(entry.image, url).href : firstImage(html, url);
  if (image && new URL(image).origin === self.location.origin) {
    try {
      const got = await fetch(image);
      if (got.ok) await (await caches.open(IMAGES)).put(image, got);
    } catch (err) { /* offline: the picture comes another time */ }
  }
  await withList(async () => {
    const list = (await readList()).filter((a) => a.url !== url);
    list.push({ url, title: (entry && entry.title) || titleOf(html), image, when: (entry && entry.when) || "" });
    await saveList(list);
    await trim();
  });
}

async function size(cache, request) {
  const r = await cache.match(request);
  return r ? (await r.blob()).size : 0;
}

async function trim() {
  // oldest kept first; drop articles (and their picture) until under the budget
  const list = await readList();
  const articles = await caches.open(ARTICLES);
  const images = await caches.open(IMAGES);
  let total = 0;
  const sizes = [];
  for (const a of list) {
    const s = (await size(articles, a.url)) + (a.image ? await size(images, a.image) : 0);
    sizes.push(s);
    total += s;
  }
  while (total > BUDGET && list.length > 1) {
    const gone = list.shift();
    total -= sizes.shift();
    await articles.delete(gone.url);
    if (gone.image) await images.delete(gone.image);
  }
  await saveList(list);
}

async function keepNewest() {
  let data;
  try {
    const response = await fetch(LATEST, { cache: "no-store" });
    if (!response.ok) return;
    await (await caches.open(SHELL)).put(LATEST, response.clone());
    data = await response.json();
  } catch (err) { return; }
  const cache = await caches.open(ARTICLES);
  for (const entry of (data.articles || []).slice().reverse()) {
    const url = new URL(entry.url, self.location.href).href;
    if (await cache.match(url)) continue;
    try {
      const response = await fetch(url);
      if (response.ok) await keepArticle(url, response, entry);
    } catch (err) { return; }
  }
}

async function page(request) {
  const url = new URL(request.url);
  try {
    const response = await fetch(request);
    if (response.ok && ARTICLE.test(url.pathname)) {
      await keepArticle(url.href, response.clone());
    } else if (response.ok) {
      await (await caches.open(SHELL)).put(request, response.clone());
    }
    return response;
  } catch (err) {
    return (await caches.match(request, { ignoreSearch: true })) ||
      (await caches.match(OFFLINE)) || Response.error();
  }
}

async function picture(request) {
  const cached = await caches.match(request);
  if (cached) return cached;
  try {
    return await fetch(request);
  } catch (err) {
    // offline: another size or format of the same photo, if one is kept
    const want = stem(request.url);
    for (const name of [IMAGES, SHELL]) {
      const cache = await caches.open(name);
      for (const key of await cache.keys()) {
        if (stem(key.url) === want) return cache.match(key);
      }
    }
    return Response.error();
  }
}

async function asset(request) {
  const cached = await caches.match(request);
  const fresh = fetch(request).then(async (response) => {
    if (response.ok) await (await caches.open(SHELL)).put(request, response.clone());
    return response;
  });
  if (cached) { fresh.catch(() => {}); return cached; }
  return fresh;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    event.respondWith(page(request));
  } else if (request.destination === "image") {
    event.respondWith(picture(request));
  } else if (url.href === LATEST || url.pathname.endsWith(".json")) {
    event.respondWith(fetch(request).catch(async () => (await caches.match(request, { ignoreSearch: true })) || Response.error()));
  } else if (/\.(css|js|woff2|svg)$/.test(url.pathname) && !url.pathname.includes("/pagefind/")) {
    event.respondWith(asset(request));
  }
});
