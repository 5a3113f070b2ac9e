-- Fresh statistics for the server's queries on the newly filled tables.
ANALYZE admin_areas;
ANALYZE zones;
ANALYZE overlays;
ANALYZE parcels;
ANALYZE health_facilities;
ANALYZE stunting_observations;
ANALYZE price_observations;
ANALYZE waste_facilities;
ANALYZE waste_reports;
