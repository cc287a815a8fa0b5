/*
 * UWSGI_TASKMANAGER_USE_FILTER_COLLAPSE: the changelist's filters start
 * collapsed, except those with a choice other than "All" selected. A filter
 * the user opened or closed in this browser session keeps that state: Django's
 * own filters.js remembers it under the sessionStorage key read below.
 */
'use strict';
document.addEventListener('DOMContentLoaded', () => {
    const remembered = JSON.parse(sessionStorage.getItem('django.admin.filtersState') || '{}');
    document.querySelectorAll('#changelist-filter details[data-filter-title]').forEach((details) => {
        if (Object.prototype.hasOwnProperty.call(remembered, details.dataset.filterTitle)) {
            return;
        }
        const selected = details.querySelector('li.selected');
        if (!selected || selected === details.querySelector('li')) {
            details.removeAttribute('open');
        }
    });
});
