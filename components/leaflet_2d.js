// Imported by live_map.jsx before Leaflet, which reads this flag once, when it loads.
//
// With 3D transforms, Leaflet places every marker with `translate3d`, and Chromium gives each
// such element a compositing layer of its own: a dashboard's 200 drivers and 2,000 stops are
// thousands of layers for the compositor to update whenever a driver moves. Without them
// Leaflet places markers with left/top. Measured side by side in one `bench realtime` run
// (20 dashboards x 200 drivers, half of the pages each way): GPS frames handled 69 s late at
// the median page against 76 s (docs/realtime.md, Round 4). The cost: zooming is not
// animated and fits snap to whole zoom levels.
if (typeof window !== "undefined") window.L_DISABLE_3D = true;
