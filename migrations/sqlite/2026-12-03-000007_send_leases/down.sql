DROP TABLE send_leases;
