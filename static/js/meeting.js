// The Meeting Point's progressive enhancements; every page works without this file.
"use strict";

(function () {
  // The filters beside the list: open where there is room for them (the stylesheet puts
  // the list beside them from 48rem on); on a phone they stay behind their button.
  var filters = document.getElementById("filters");
  if (filters && window.matchMedia("(min-width: 48rem)").matches) {
    filters.open = true;
  }

  // Finding a country by name, as one types, for the countries grouped by region.
  function fold(text) {
    return text.normalize("NFKD").replace(/[\u0300-\u036f\u064b-\u065f\u0670]/g, "").toLocaleLowerCase();
  }

  function enhancePicker(picker) {
    var finder = picker.querySelector(".country-find");
    var input = finder && finder.querySelector("input");
    var found = finder && finder.querySelector("[aria-live]");
    var chosen = picker.querySelector(".country-chosen");
    var regions = Array.prototype.slice.call(picker.querySelectorAll(".country-region"));
    if (!finder || !input || !chosen) {
      return;
    }
    finder.hidden = false;
    var openBefore = null; // which regions were open before a search, restored after it

    function showChosen() {
      var names = [];
      picker.querySelectorAll("input[type=checkbox]:checked").forEach(function (box) {
        names.push(box.parentNode.textContent.trim());
      });
      names.sort(function (a, b) { return a.localeCompare(b, document.documentElement.lang); });
      chosen.textContent = "";
      if (!names.length) {
        chosen.textContent = chosen.dataset.none;
        return;
      }
      chosen.append(chosen.dataset.some + " ");
      names.forEach(function (name) {
        var tag = document.createElement("span");
        tag.className = "tag";
        tag.textContent = name;
        chosen.append(tag);
      });
    }

    function filter() {
      var wanted = fold(input.value.trim());
      var matches = 0;
      if (wanted && openBefore === null) {
        openBefore = regions.map(function (region) { return region.open; });
      }
      regions.forEach(function (region, index) {
        var shown = 0;
        region.querySelectorAll("li").forEach(function (item) {
          var hit = !wanted || fold(item.textContent).indexOf(wanted) !== -1;
          item.hidden = !hit;
          if (hit) {
            shown += 1;
          }
        });
        matches += shown;
        region.hidden = wanted !== "" && shown === 0;
        if (wanted) {
          region.open = shown > 0;
        } else if (openBefore !== null) {
          region.open = openBefore[index] || region.querySelector("input:checked") !== null;
        }
      });
      if (!wanted) {
        openBefore = null;
      }
      found.textContent = wanted && !matches ? found.dataset.none : "";
    }

    input.addEventListener("input", filter);
    // Enter in the finder would send the whole form: tick the only match instead.
    input.addEventListener("keydown", function (event) {
      if (event.key !== "Enter") {
        return;
      }
      event.preventDefault();
      var visible = picker.querySelectorAll(".country-region:not([hidden]) li:not([hidden]) input");
      if (visible.length === 1) {
        visible[0].checked = true;
        showChosen();
        visible[0].focus();
      }
    });
    picker.addEventListener("change", showChosen);
  }

  document.querySelectorAll(".country-picker").forEach(enhancePicker);
})();
