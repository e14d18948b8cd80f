/* The event admin form: interaction scores follow the category.
 * A prefilled score is the category's default (relations.categories, sent on the category
 * select as data-default-scores). When the editor changes the category, every score still at
 * the old category's default moves to the new one; a score the editor typed stays as it is. */
(function () {
  "use strict";

  function wire() {
    var category = document.getElementById("id_category");
    if (!category || !category.dataset.defaultScores) {
      return;
    }
    var defaults = JSON.parse(category.dataset.defaultScores);
    var previous = category.value;
    category.addEventListener("change", function () {
      var before = defaults[previous];
      var after = defaults[category.value];
      var scores = document.querySelectorAll('input[name^="interactions-"][name$="-score"]');
      for (var i = 0; i < scores.length; i += 1) {
        var input = scores[i];
        if (input.name.indexOf("__prefix__") !== -1 || input.value === "") {
          continue;
        }
        if (before !== undefined && Number(input.value) === before) {
          input.value = after === undefined ? "" : after.toFixed(1);
        }
      }
      previous = category.value;
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", wire);
  } else {
    wire();
  }
})();
