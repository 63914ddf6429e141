output "sns_topic_arn" {
  description = "SNS topic receiving every alarm (subscribe PagerDuty/Opsgenie/Slack endpoints here)."
  value       = aws_sns_topic.alarms.arn
}

output "alarm_names" {
  description = "Names of the CloudWatch alarms."
  value = concat(
    [
      aws_cloudwatch_metric_alarm.error_ratio.alarm_name,
      aws_cloudwatch_metric_alarm.p95_latency.alarm_name,
      aws_cloudwatch_metric_alarm.unhealthy_targets.alarm_name,
      aws_cloudwatch_metric_alarm.task_restarts.alarm_name,
      aws_cloudwatch_metric_alarm.db_free_storage.alarm_name,
      aws_cloudwatch_metric_alarm.db_cpu.alarm_name,
      aws_cloudwatch_metric_alarm.cache_failover.alarm_name,
    ],
    [for alarm in aws_cloudwatch_metric_alarm.service_cpu : alarm.alarm_name],
    [for alarm in aws_cloudwatch_metric_alarm.replica_lag : alarm.alarm_name],
  )
}
