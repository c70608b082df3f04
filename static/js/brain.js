// Progressive enhancement only: every feature works without this file.
document.documentElement.classList.add("js");
