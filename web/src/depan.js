// The front door (`/` in a browser, rendered by src/web/front.rs): only the language switch; the
// page is complete without it.
import { initChrome } from './common.js';

initChrome();
