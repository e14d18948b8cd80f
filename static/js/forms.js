/* A field marked data-autosubmit sends its GET form as soon as it changes, so the URL (and
 * with it the list) follows the filters without a click on "Apply". */
(function () {
  "use strict";

  function wire() {
    var fields = document.querySelectorAll("[data-autosubmit]");
    for (var i = 0; i < fields.length; i += 1) {
      fields[i].addEventListener("change", function (event) {
        var form = event.target.form;
        if (!form) {
          return;
        }
        if (form.requestSubmit) {
          form.requestSubmit();
        } else {
          form.submit();
        }
      });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", wire);
  } else {
    wire();
  }
})();
