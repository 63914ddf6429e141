// Imported by live_map.jsx before Leaflet, which reads this flag once, when it loads.
//
// With 3D transforms, Leaflet places every marker with `translate3d`, and Chromium gives each
// such element a compositing layer of its own: a dashboard's 200 drivers and 2,000 stops were
// thousands of layers for the compositor to update whenever a driver moved. Without them it
// places markers with left/top: one layout of the moved marker, no extra layers. (Zooming is
// then not animated; the dashboard never animates its view anyway.)
if (typeof window !== "undefined") window.L_DISABLE_3D = true;
