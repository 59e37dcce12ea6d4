"""External BI integration: connections (config), Tableau .hyper + publish, Power BI push / refresh, open files."""
