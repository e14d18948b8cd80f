/* The dashboard's filter forms, enhanced where a script runs (each works without it):
 * - a field marked data-autosubmit sends its GET form as soon as it changes, so the URL (and
 *   with it the list) follows the filters without a click on "Apply";
 * - a multi-select marked data-picker becomes a searchable picker with chips (select2, from
 *   Django admin's static files, loaded before this script by the pages that have one);
 * - filters in a <details data-fold> are folded away on a narrow screen, where they would
 *   stand above the results, unless a filter needs correcting. */
(function () {
  "use strict";

  // The width below which .with-sidebar stacks the filters above the results (site.css).
  var NARROW = "(max-width: 899.98px)";

  function submit(form) {
    if (form.requestSubmit) {
      form.requestSubmit();
    } else {
      form.submit();
    }
  }

  function wireAutosubmit() {
    var fields = document.querySelectorAll("[data-autosubmit]");
    for (var i = 0; i < fields.length; i += 1) {
      fields[i].addEventListener("change", function (event) {
        if (event.target.form) {
          submit(event.target.form);
        }
      });
    }
  }

  function wirePickers() {
    var $ = window.django && window.django.jQuery;
    if (!$ || !$.fn.select2) {
      return; // the page did not load select2: the plain multi-selects still work
    }
    $("select[data-picker]").each(function () {
      var select = $(this);
      select.select2({ width: "100%", placeholder: select.data("placeholder") || "" });
      // The field's label points at the hidden select: let it open the picker instead, and
      // name the picker's search box after it for screen readers.
      var label = $("label[for='" + this.id + "']");
      label.on("click", function (event) {
        event.preventDefault();
        select.select2("open");
      });
      select
        .next(".select2-container")
        .find(".select2-search__field")
        .attr("aria-label", label.text());
    });
  }

  function foldOnNarrowScreens() {
    if (!window.matchMedia || !window.matchMedia(NARROW).matches) {
      return;
    }
    var folds = document.querySelectorAll("details[data-fold]");
    for (var i = 0; i < folds.length; i += 1) {
      if (!folds[i].querySelector(".errorlist, [aria-invalid='true']")) {
        folds[i].open = false;
      }
    }
  }

  function wire() {
    foldOnNarrowScreens();
    wireAutosubmit();
    wirePickers();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", wire);
  } else {
    wire();
  }
})();
