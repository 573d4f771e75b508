"""Prometheus metrics and their exporter (`monitoring.metrics`; the metric objects and record/observe helpers in
`instruments`), read-at-scrape collectors for GPUs (`gpu`, via nvidia-ml-py), the host (`host`), vLLM's own metrics
(`vllm`) and live sessions (`sessions`), Ray actors' figures merged in (`relay`), the summaries
`!model_status`/`!system_stats` show (`status`), and the Grafana dashboards and Prometheus config in `grafana/` and
`prometheus.yml`."""
