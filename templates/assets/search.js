// Site search on the search page, with Pagefind's own library: nothing is fetched until the visitor
// starts to search (or arrives with ?q=), and every result is drawn with DOM methods, never as HTML.
// Without JavaScript the page lists every page instead (see search-noscript.css).
(function () {
  "use strict";
  var box = document.querySelector("[data-search-bundle]");
  if (!box || !window.fetch || !window.URL || typeof WebAssembly !== "object") return;
  var form = box.querySelector("form");
  var input = form.querySelector("input[type=search]");
  var status = box.querySelector(".search-status");
  var list = box.querySelector(".search-results");
  var lang = document.documentElement.lang;
  var numbers = new Intl.NumberFormat(lang + "-u-nu-" + (box.getAttribute("data-numbering") || "latn"));
  var bundleUrl = new URL(box.getAttribute("data-search-bundle"), document.baseURI).href;
  // Announcements have their own index beside the data pages' one; both are searched together.
  var mergedUrls = (box.getAttribute("data-search-merge") || "").split(" ").filter(Boolean).map(function (path) {
    return new URL(".", new URL(path, document.baseURI)).href;
  });
  var siteRoot = new URL(box.getAttribute("data-search-root"), document.baseURI).href;
  var library = null;
  var latest = 0;

  function text(name, values) {
    var template = box.getAttribute("data-text-" + name) || "";
    return template.replace(/\{(\w+)\}/g, function (all, key) { return key in values ? values[key] : all; });
  }

  function load() {
    if (!library) {
      library = import(bundleUrl).then(function (pagefind) {
        // Result addresses start at the site root; they are made relative to it below, so the
        // portal works under any sub-path.
        return pagefind.options({ baseUrl: "/" }).then(function () { return pagefind.init(); })
          .then(function () {
            return Promise.all(mergedUrls.map(function (url) { return pagefind.mergeIndex(url, { baseUrl: "/" }); }));
          })
          .then(function () { return pagefind; });
      });
    }
    return library;
  }

  // Pagefind folds diacritics by Unicode decomposition, which leaves "đ" as it is: "dinh" alone would
  // never find "định". Each word starting with d is also tried with đ, and the results merged.
  function spellings(query) {
    var found = [""];
    query.split(/\s+/).filter(Boolean).forEach(function (word) {
      var forms = /^d/i.test(word) ? [word, "đ" + word.slice(1)] : [word];
      var next = [];
      found.forEach(function (start) {
        forms.forEach(function (form) { next.push(start ? start + " " + form : form); });
      });
      found = next.slice(0, 16);
    });
    return found;
  }

  function searchAll(pagefind, query, filters) {
    return Promise.all(spellings(query).map(function (text) {
      return pagefind.search(text, { filters: filters });
    })).then(function (answers) {
      var best = {};
      answers.forEach(function (answer) {
        (answer ? answer.results : []).forEach(function (result) {
          if (!best[result.id] || best[result.id].score < result.score) best[result.id] = result;
        });
      });
      return Object.keys(best).map(function (id) { return best[id]; })
        .sort(function (a, b) { return b.score - a.score; });
    });
  }

  function chosenFilters() {
    var filters = {};
    form.querySelectorAll("input[type=checkbox]:checked").forEach(function (box) {
      (filters[box.name] = filters[box.name] || { any: [] }).any.push(box.value);
    });
    return filters;
  }

  // Pagefind marks the matched words with <mark>; only text and those marks are kept.
  function excerpt(html) {
    var paragraph = document.createElement("p");
    var parsed = new DOMParser().parseFromString("<p>" + html + "</p>", "text/html").body.firstChild;
    parsed.childNodes.forEach(function (node) {
      if (node.nodeName === "MARK") {
        var mark = document.createElement("mark");
        mark.textContent = node.textContent;
        paragraph.appendChild(mark);
      } else {
        paragraph.appendChild(document.createTextNode(node.textContent));
      }
    });
    return paragraph;
  }

  function show(query, results, pages) {
    list.replaceChildren();
    pages.forEach(function (page) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = new URL(page.url.replace(/^\/+/, ""), siteRoot).href;
      link.textContent = page.meta.title || page.url;
      item.appendChild(link);
      var kinds = (page.filters && page.filters.type) || [];
      if (kinds.length || page.meta.shown_date) {
        var about = document.createElement("p");
        about.className = "meta";
        about.textContent = kinds.concat(page.meta.shown_date ? [page.meta.shown_date] : []).join(" · ");
        item.appendChild(about);
      }
      item.appendChild(excerpt(page.excerpt || ""));
      list.appendChild(item);
    });
    status.textContent = results.length
      ? text("count", { count: numbers.format(results.length) })
      : text("none", { query: query });
  }

  // data-state (searching, done, failed) lets tests and styles follow the search; the status line
  // says the same to people.
  function search(event) {
    if (event) event.preventDefault();
    clearTimeout(timer);
    var query = input.value.trim();
    var ticket = ++latest;
    var url = new URL(window.location.href);
    if (query) url.searchParams.set("q", query); else url.searchParams.delete("q");
    window.history.replaceState(null, "", url.href);
    if (!query) {
      list.replaceChildren();
      status.textContent = "";
      box.removeAttribute("data-searched");
      box.setAttribute("data-state", "done");
      return;
    }
    box.setAttribute("data-searched", "");  // room for the results from now on (see search.css)
    box.setAttribute("data-state", "searching");
    status.textContent = text("busy", {});
    load().then(function (pagefind) {
      return searchAll(pagefind, query, chosenFilters());
    }).then(function (results) {
      if (ticket !== latest) return null;
      return Promise.all(results.slice(0, 20).map(function (r) { return r.data(); })).then(function (pages) {
        if (ticket !== latest) return;
        show(query, results, pages);
        box.setAttribute("data-state", "done");
      });
    }).catch(function () {
      status.textContent = text("failed", {});
      box.setAttribute("data-state", "failed");
    });
  }

  var timer = null;
  form.addEventListener("submit", search);
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(search, 250);
  });
  input.addEventListener("focus", function () { load().catch(function () {}); }, { once: true });
  form.addEventListener("change", function (event) {
    if (event.target.type === "checkbox") search();
  });
  var initial = new URL(window.location.href).searchParams.get("q");
  if (initial) {
    input.value = initial;
    search();
  }
})();
