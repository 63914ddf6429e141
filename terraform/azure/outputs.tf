output "frontdoor_endpoint" {
  description = "Front Door endpoint host: point a CNAME of domain_name here."
  value       = azurerm_cdn_frontdoor_endpoint.this.host_name
}

output "domain_validation_token" {
  description = "TXT value for _dnsauth.<domain_name> (Front Door managed certificate)."
  value       = azurerm_cdn_frontdoor_custom_domain.this.validation_token
}

output "public_url" {
  description = "Public HTTPS origin."
  value       = "https://${var.domain_name}"
}

output "resource_group" {
  description = "Resource group of the environment."
  value       = azurerm_resource_group.this.name
}

output "migration_job" {
  description = "Container Apps job that migrates (az containerapp job start)."
  value       = azurerm_container_app_job.migrate.name
}

output "web_storage_account" {
  description = "Storage account whose $web container receives the release's static pages."
  value       = azurerm_storage_account.web.name
}

output "proof_storage_account" {
  description = "Storage account of the proof-of-delivery photos."
  value       = azurerm_storage_account.proofs.name
}
