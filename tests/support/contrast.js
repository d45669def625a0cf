// For each visible element matching the selector: the contrast ratio of its border and of its
// focus outline against the background around it (WCAG 1.4.11), from the computed styles.
(selector) => {
  function rgb(c) {
    const m = c.match(/rgba?\(([^)]+)\)/); if (!m) return null;
    const p = m[1].split(',').map(Number); return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1};
  }
  function lum(c) {
    const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
  }
  function ratio(a, b) { const x = lum(a), y = lum(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); }
  function background(el) {
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c && c.a > 0) return c;
    }
    return {r: 255, g: 255, b: 255, a: 1};
  }
  return Array.from(document.querySelectorAll(selector)).filter(el => el.offsetParent).map(el => {
    const around = background(el.parentElement);
    const s = getComputedStyle(el);
    const border = rgb(s.borderTopColor);
    el.focus();
    const f = getComputedStyle(el);
    const ring = rgb(f.outlineColor);
    return {
      id: el.id || el.name || el.tagName,
      border: parseFloat(s.borderTopWidth) > 0 ? ratio(border, around) : 0,
      focus: f.outlineStyle !== 'none' ? ratio(ring, around) : 0,
      focusWidth: parseFloat(f.outlineWidth),
    };
  });
}
