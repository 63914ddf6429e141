output "alb_arn" {
  description = "ARN of the load balancer."
  value       = aws_lb.this.arn
}

output "alb_arn_suffix" {
  description = "ARN suffix of the load balancer (CloudWatch dimension, autoscaling resource label)."
  value       = aws_lb.this.arn_suffix
}

output "alb_dns_name" {
  description = "DNS name of the load balancer (CNAME/alias target when DNS is not in Route 53)."
  value       = aws_lb.this.dns_name
}

output "alb_zone_id" {
  description = "Hosted zone ID of the load balancer (for alias records)."
  value       = aws_lb.this.zone_id
}

output "alb_security_group_id" {
  description = "Security group of the load balancer (the tasks allow their proxy port from it)."
  value       = aws_security_group.alb.id
}

output "target_group_arn" {
  description = "Target group the app service registers its tasks' proxy containers in."
  value       = aws_lb_target_group.app.arn
}

output "target_group_arn_suffix" {
  description = "ARN suffix of the target group (CloudWatch dimension, autoscaling resource label)."
  value       = aws_lb_target_group.app.arn_suffix
}

output "https_listener_arn" {
  description = "ARN of the HTTPS listener."
  value       = aws_lb_listener.https.arn
}

output "certificate_arn" {
  description = "ACM certificate served by the HTTPS listener."
  value       = local.certificate_arn
}

output "public_url" {
  description = "Public HTTPS origin of the deployment."
  value       = "https://${var.domain_name}"
}

output "access_log_bucket" {
  description = "S3 bucket receiving the ALB access logs (prefix alb/)."
  value       = aws_s3_bucket.access_logs.id
}

output "web_acl_arn" {
  description = "ARN of the WAF web ACL attached to the load balancer."
  value       = aws_wafv2_web_acl.this.arn
}
