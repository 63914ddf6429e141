# CloudWatch alarms -> one SNS topic (encrypted): 5xx ratio, p95 latency, unhealthy targets,
# service CPU, RDS free storage and replica lag, ElastiCache failovers and ECS task restarts.
# Every alarm also notifies on recovery (OK), so the on-call sees when it clears.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  tags = merge(var.tags, { "logistics-ai:module" = "monitoring" })
  # Every alarm notifies on ALARM and on OK.
  actions = [aws_sns_topic.alarms.arn]
}

resource "aws_kms_key" "this" {
  description             = "${var.name} alarm topic"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.kms.json

  tags = local.tags
}

data "aws_iam_policy_document" "kms" {
  #checkov:skip=CKV_AWS_109:Key policy: "*" is this key itself; the root statement is AWS's default key policy (delegates to IAM).
  #checkov:skip=CKV_AWS_111:Key policy: "*" is this key itself; the root statement is AWS's default key policy (delegates to IAM).
  #checkov:skip=CKV_AWS_356:Key policy: "*" is this key itself (a key policy cannot name other resources).
  statement {
    sid       = "AccountAdministration"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }

  statement {
    sid       = "PublishersUse"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com", "events.amazonaws.com"]
    }
  }
}

resource "aws_sns_topic" "alarms" {
  name              = "${var.name}-alarms"
  kms_master_key_id = aws_kms_key.this.arn

  tags = local.tags
}

data "aws_iam_policy_document" "topic" {
  statement {
    sid       = "CloudWatchAndEventBridgePublish"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alarms.arn]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com", "events.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_sns_topic_policy" "alarms" {
  arn    = aws_sns_topic.alarms.arn
  policy = data.aws_iam_policy_document.topic.json
}

resource "aws_sns_topic_subscription" "email" {
  for_each = toset(var.alarm_emails)

  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = each.value
}

# --- Load balancer ------------------------------------------------------------------------------

resource "aws_cloudwatch_metric_alarm" "error_ratio" {
  alarm_name          = "${var.name}-5xx-ratio"
  alarm_description   = "More than ${var.error_ratio_threshold}% of requests answered 5xx (app or load balancer) for 5 minutes"
  comparison_operator = "GreaterThanThreshold"
  evaluation_periods  = 5
  datapoints_to_alarm = 5
  threshold           = var.error_ratio_threshold
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions

  metric_query {
    id          = "ratio"
    expression  = "100 * (FILL(target5xx, 0) + FILL(elb5xx, 0)) / requests"
    label       = "5xx percent"
    return_data = true
  }

  metric_query {
    id = "target5xx"

    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "HTTPCode_Target_5XX_Count"
      period      = 60
      stat        = "Sum"
      dimensions  = { LoadBalancer = var.alb_arn_suffix }
    }
  }

  metric_query {
    id = "elb5xx"

    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "HTTPCode_ELB_5XX_Count"
      period      = 60
      stat        = "Sum"
      dimensions  = { LoadBalancer = var.alb_arn_suffix }
    }
  }

  metric_query {
    id = "requests"

    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "RequestCount"
      period      = 60
      stat        = "Sum"
      dimensions  = { LoadBalancer = var.alb_arn_suffix }
    }
  }

  tags = local.tags
}

resource "aws_cloudwatch_metric_alarm" "p95_latency" {
  alarm_name          = "${var.name}-p95-latency"
  alarm_description   = "p95 target response time above ${var.p95_latency_threshold_seconds} s for 5 minutes"
  namespace           = "AWS/ApplicationELB"
  metric_name         = "TargetResponseTime"
  extended_statistic  = "p95"
  period              = 60
  evaluation_periods  = 5
  datapoints_to_alarm = 5
  threshold           = var.p95_latency_threshold_seconds
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  dimensions          = { LoadBalancer = var.alb_arn_suffix, TargetGroup = var.target_group_arn_suffix }
  alarm_actions       = local.actions
  ok_actions          = local.actions

  tags = local.tags
}

resource "aws_cloudwatch_metric_alarm" "unhealthy_targets" {
  alarm_name          = "${var.name}-unhealthy-targets"
  alarm_description   = "At least one app task fails its /readyz health check for 3 minutes"
  namespace           = "AWS/ApplicationELB"
  metric_name         = "UnHealthyHostCount"
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 3
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "breaching"
  dimensions          = { LoadBalancer = var.alb_arn_suffix, TargetGroup = var.target_group_arn_suffix }
  alarm_actions       = local.actions
  ok_actions          = local.actions

  tags = local.tags
}

# --- ECS ------------------------------------------------------------------------------------------

resource "aws_cloudwatch_metric_alarm" "service_cpu" {
  for_each = toset(var.service_names)

  alarm_name          = "${var.name}-${each.key}-cpu"
  alarm_description   = "${each.key} service CPU above ${var.cpu_threshold_percent}% for 10 minutes (autoscaling at its maximum?)"
  namespace           = "AWS/ECS"
  metric_name         = "CPUUtilization"
  statistic           = "Average"
  period              = 60
  evaluation_periods  = 10
  threshold           = var.cpu_threshold_percent
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "breaching"
  dimensions          = { ClusterName = var.cluster_name, ServiceName = each.key }
  alarm_actions       = local.actions
  ok_actions          = local.actions

  tags = local.tags
}

# Task restarts: ECS emits a "Task State Change" event for every stopped task; essential
# container exits and failed health checks count here, scale-in and deployments do not.
resource "aws_cloudwatch_event_rule" "task_stopped" {
  name        = "${var.name}-task-stopped"
  description = "Tasks of ${var.cluster_name} stopped by a crash or a failed health check"

  event_pattern = jsonencode({
    source        = ["aws.ecs"]
    "detail-type" = ["ECS Task State Change"]
    detail = {
      clusterArn    = [{ wildcard = "*:cluster/${var.cluster_name}" }]
      lastStatus    = ["STOPPED"]
      stopCode      = ["EssentialContainerExited", "TaskFailedToStart"]
      stoppedReason = [{ "anything-but" = { prefix = "Scaling activity" } }]
    }
  })

  tags = local.tags
}

resource "aws_cloudwatch_event_target" "task_stopped" {
  rule      = aws_cloudwatch_event_rule.task_stopped.name
  target_id = "alarm-topic"
  arn       = aws_sns_topic.alarms.arn
}

resource "aws_cloudwatch_metric_alarm" "task_restarts" {
  alarm_name          = "${var.name}-task-restarts"
  alarm_description   = "${var.task_restart_threshold} or more tasks crashed or failed health checks within 15 minutes"
  namespace           = "AWS/Events"
  metric_name         = "MatchedEvents"
  statistic           = "Sum"
  period              = 900
  evaluation_periods  = 1
  threshold           = var.task_restart_threshold
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  dimensions          = { RuleName = aws_cloudwatch_event_rule.task_stopped.name }
  alarm_actions       = local.actions
  ok_actions          = local.actions

  tags = local.tags
}

# --- RDS ------------------------------------------------------------------------------------------

resource "aws_cloudwatch_metric_alarm" "db_free_storage" {
  alarm_name          = "${var.name}-db-free-storage"
  alarm_description   = "RDS free storage below ${var.db_free_storage_threshold_bytes} bytes"
  namespace           = "AWS/RDS"
  metric_name         = "FreeStorageSpace"
  statistic           = "Minimum"
  period              = 300
  evaluation_periods  = 2
  threshold           = var.db_free_storage_threshold_bytes
  comparison_operator = "LessThanThreshold"
  treat_missing_data  = "breaching"
  dimensions          = { DBInstanceIdentifier = var.db_instance_id }
  alarm_actions       = local.actions
  ok_actions          = local.actions

  tags = local.tags
}

resource "aws_cloudwatch_metric_alarm" "db_cpu" {
  alarm_name          = "${var.name}-db-cpu"
  alarm_description   = "RDS primary CPU above ${var.cpu_threshold_percent}% for 10 minutes"
  namespace           = "AWS/RDS"
  metric_name         = "CPUUtilization"
  statistic           = "Average"
  period              = 60
  evaluation_periods  = 10
  threshold           = var.cpu_threshold_percent
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "breaching"
  dimensions          = { DBInstanceIdentifier = var.db_instance_id }
  alarm_actions       = local.actions
  ok_actions          = local.actions

  tags = local.tags
}

resource "aws_cloudwatch_metric_alarm" "replica_lag" {
  count = var.db_replica_instance_id == null ? 0 : 1

  alarm_name          = "${var.name}-db-replica-lag"
  alarm_description   = "Read replica more than ${var.replica_lag_threshold_seconds} s behind for 5 minutes"
  namespace           = "AWS/RDS"
  metric_name         = "ReplicaLag"
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 5
  threshold           = var.replica_lag_threshold_seconds
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "breaching"
  dimensions          = { DBInstanceIdentifier = var.db_replica_instance_id }
  alarm_actions       = local.actions
  ok_actions          = local.actions

  tags = local.tags
}

# --- ElastiCache: failovers arrive as events on the replication group's notification topic -----

resource "aws_cloudwatch_event_rule" "cache_failover" {
  name        = "${var.name}-cache-failover"
  description = "ElastiCache failover or node replacement in ${var.cache_replication_group_id}"

  event_pattern = jsonencode({
    source        = ["aws.elasticache"]
    "detail-type" = ["ElastiCache Replication Group Event", "ElastiCache Cache Cluster Event"]
    detail = {
      message = [
        { prefix = "Failover" },
        { prefix = "Cache node replaced" },
        { prefix = "Recovering cache nodes" },
      ]
    }
  })

  tags = local.tags
}

resource "aws_cloudwatch_event_target" "cache_failover" {
  rule      = aws_cloudwatch_event_rule.cache_failover.name
  target_id = "alarm-topic"
  arn       = aws_sns_topic.alarms.arn
}

resource "aws_cloudwatch_metric_alarm" "cache_failover" {
  alarm_name          = "${var.name}-cache-failover"
  alarm_description   = "ElastiCache failed over (primary replaced) in ${var.cache_replication_group_id}"
  namespace           = "AWS/Events"
  metric_name         = "MatchedEvents"
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  dimensions          = { RuleName = aws_cloudwatch_event_rule.cache_failover.name }
  alarm_actions       = local.actions
  ok_actions          = local.actions

  tags = local.tags
}
