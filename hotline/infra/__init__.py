"""What every process of the hotline stands on: settings, the database, the queues, the clock,
the migrations and the log filter that keeps workers' words out of logs."""
