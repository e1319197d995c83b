"""Build: Pelican run from Python (site, buildlog, stamp), live updates, the preview server, the packages the tests need."""
