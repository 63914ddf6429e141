output "load_balancer_ip" {
  description = "Global address of the load balancer: point an A record of domain_name here (the certificate is issued after that)."
  value       = google_compute_global_address.lb.address
}

output "public_url" {
  description = "Public HTTPS origin."
  value       = "https://${var.domain_name}"
}

output "app_service" {
  description = "Cloud Run app service."
  value       = google_cloud_run_v2_service.app.name
}

output "worker_service" {
  description = "Cloud Run worker service."
  value       = google_cloud_run_v2_service.worker.name
}

output "migration_job" {
  description = "Cloud Run job that migrates (gcloud run jobs execute NAME --region REGION --wait)."
  value       = google_cloud_run_v2_job.migrate.name
}

output "frontend_bucket" {
  description = "Bucket the pipeline copies the release's static pages into."
  value       = google_storage_bucket.frontend.name
}

output "proof_bucket" {
  description = "Proof-of-delivery bucket."
  value       = google_storage_bucket.proofs.name
}

output "database_instance" {
  description = "Cloud SQL instance name."
  value       = google_sql_database_instance.this.name
}
