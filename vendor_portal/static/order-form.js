// The new-order dialog: price per line and the total follow the quantities as they are typed.
// Only a preview: the confirmation step shows the server's own pricing before anything is placed.
(function () {
  "use strict";
  var form = document.getElementById("order-form");
  // Without a product the dialog has no lines to price (it offers to create a product).
  if (!form || !form.querySelector("tr[data-line]")) { return; }
  var currency = form.dataset.currency;
  var discountPercent = parseInt(form.dataset.discount || "0", 10);
  var locale = form.dataset.locale || document.documentElement.lang || "en";
  var word = form.dataset.currencyWord;
  var money;
  if (word) {
    // The server writes this currency with a word after the number ("11 000,00 руб.").
    var plain = new Intl.NumberFormat(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    money = { format: function (value) { return plain.format(value) + "\u00a0" + word; } };
  } else {
    try {
      money = new Intl.NumberFormat(locale, { style: "currency", currency: currency });
    } catch (error) {
      money = new Intl.NumberFormat(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    }
  }
  var count = new Intl.NumberFormat(locale);
  var pieces = form.dataset.piecesLabel || "";

  function format(minorUnits) { return money.format(minorUnits / 100); }

  function quantityOf(input) {
    var value = input.value.trim();
    if (!/^\d+$/.test(value)) { return 0; }
    return Math.min(parseInt(value, 10), 100000);
  }

  function update() {
    var subtotal = 0;
    var total = 0;
    form.querySelectorAll("tr[data-line]").forEach(function (row) {
      var input = row.querySelector("input");
      var quantity = quantityOf(input);
      var amount = quantity * parseInt(row.dataset.unitPrice, 10);
      row.querySelector("[data-amount]").textContent = quantity > 0 ? format(amount) : "";
      subtotal += amount;
      total += quantity;
    });
    // Half up to a whole minor unit, as the server rounds the discount.
    var discount = Math.floor((subtotal * discountPercent + 50) / 100);
    var discountCell = form.querySelector("[data-discount-amount]");
    if (discountCell) { discountCell.textContent = discount > 0 ? "−" + format(discount) : ""; }
    // The table's total row and the phone's always-visible total bar show the same figures.
    form.querySelectorAll("[data-total-quantity]").forEach(function (cell) {
      cell.textContent = count.format(total) + (pieces ? " " + pieces : "");
    });
    form.querySelectorAll("[data-total]").forEach(function (cell) { cell.textContent = format(subtotal - discount); });
  }

  function showFeatures() {
    var select = form.querySelector("select[name=product]");
    if (!select) { return; }
    form.querySelectorAll("fieldset.product-features").forEach(function (fieldset) {
      fieldset.hidden = fieldset.dataset.product !== select.value;
    });
  }

  form.addEventListener("input", update);
  form.addEventListener("change", function (event) {
    if (event.target.name === "product") { showFeatures(); }
    update();
  });
  showFeatures();
  update();
})();
