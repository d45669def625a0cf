// For each visible element matching the selector: the contrast ratio of its border and of its
// focus outline against the colours next to the ring (WCAG 1.4.11), from the computed styles.
// "Visible" is what the user can see and reach: links inside a closed <details> (the user menu)
// pass `offsetParent` but cannot take focus, so they are left out; open the menu to check them.
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
  function visible(el) {
    return el.checkVisibility ? el.checkVisibility({checkVisibilityCSS: true}) : !!el.offsetParent;
  }
  return Array.from(document.querySelectorAll(selector)).filter(visible).map(el => {
    const around = background(el.parentElement);
    const s = getComputedStyle(el);
    const border = rgb(s.borderTopColor);
    el.focus();
    const focused = document.activeElement === el;
    // Computed styles are live: read the focused ones before the blur.
    const f = getComputedStyle(el);
    const ring = rgb(f.outlineColor);
    const hasRing = f.outlineStyle !== 'none';
    const focusWidth = parseFloat(f.outlineWidth);
    // Outside the ring: the background around the element. Inside: the gap of
    // `outline-offset` shows that background too; with no gap the ring touches the element.
    const inside = parseFloat(f.outlineOffset) > 0 ? around : background(el);
    el.blur();
    return {
      id: el.id || el.name || el.outerHTML.slice(0, 80),
      focused: focused,
      border: parseFloat(s.borderTopWidth) > 0 ? ratio(border, around) : 0,
      focus: hasRing ? Math.min(ratio(ring, around), ratio(ring, inside)) : 0,
      focusWidth: focusWidth,
    };
  });
}
