/**
 * The console's entry point: one page per URL (real links, the browser's own
 * history), each kept up to date by the live feed.
 *   /console                   transfers and batches
 *   /console/transfers/{id}    one transfer: graph, history, certificate, events
 */
import { showList } from './list.js';
import { showTransfer } from './transfer.js';

const main = document.getElementById('main');
const path = window.location.pathname.replace(/\/+$/, '');
const detail = path.match(/^\/console\/transfers\/([^/]+)$/);

if (detail) showTransfer(main, decodeURIComponent(detail[1]));
else showList(main);
