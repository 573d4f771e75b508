"""Prometheus metrics (`monitoring.metrics`) and GPU statistics (`monitoring.gpu`)."""
