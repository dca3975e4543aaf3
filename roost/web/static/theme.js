/* Loaded in <head> so the chosen theme applies before the first paint (no flash of the wrong colours). */
"use strict";
try {
  const theme = localStorage.getItem("roost-theme");
  if (theme === "dark" || theme === "light") document.documentElement.dataset.theme = theme;
} catch (e) { /* storage blocked: follow prefers-color-scheme */ }
