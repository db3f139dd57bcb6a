"""The service-side rules: public mode's roots and permissions (access), the gate all sessions queue at
(workload), a page's view as URL parameters (urlstate), downloads safe in a spreadsheet.

Imports only paths, errors and runtime: every other stage may ask it."""
