variable "aws_endpoint_url" {
  description = "URL of the local simulator (tests/sim/run prints it), e.g. http://127.0.0.1:5000."
  type        = string
  default     = "http://127.0.0.1:5000"

  validation {
    condition     = can(regex("^https?://[^\\s]+$", var.aws_endpoint_url))
    error_message = "aws_endpoint_url must be an http:// or https:// URL."
  }
}

variable "aws_region" {
  description = "Region to simulate."
  type        = string
  default     = "us-east-1"
}

variable "aws_access_key_id" {
  description = "Access key for the simulator (any value works unless it enforces IAM). Also given to the helper."
  type        = string
  default     = "test"
}

variable "aws_secret_access_key" {
  description = "Secret key for the simulator; a dummy. Also given to the helper (and so stored in the state): never use real credentials with this example."
  type        = string
  default     = "test"
}

variable "cluster_name" {
  description = "Name of the ECS cluster and its Auto Scaling group."
  type        = string
  default     = "ecs-rollout-demo"
}

variable "cluster_instance_ami" {
  description = "AMI of the instances. Null: the ECS-optimized AMI from the simulator's public SSM parameter. Apply once, then again with another id (the simulator accepts any ami-... id) to watch a rollout inside apply."
  type        = string
  default     = null
}

variable "cluster_instance_type" {
  description = "Instance type of the launch template."
  type        = string
  default     = "t3.micro"
}

variable "cluster_instance_types" {
  description = "Instance types the group may launch, most preferred first, through a mixed instances policy. Empty (the default): cluster_instance_type alone."
  type        = list(string)
  default     = []
}

variable "cluster_family_launch_templates" {
  description = "Instance families with their own launch template, e.g. { arm64 = { ami = \"ami-...\", instance_types = [\"t4g.micro\"] } } for Graviton: their types join the mixed instances policy ahead of cluster_instance_types, and instances of them launch from the family's template (the main template with the family's AMI). Empty (the default): none."
  type = map(object({
    ami            = string
    instance_types = list(string)
  }))
  default = {}
}

variable "cluster_on_demand_percentage" {
  description = "With a mixed instances policy: the percentage of the capacity that is On-Demand; the rest is Spot, which Auto Scaling spreads over the instance types."
  type        = number
  default     = 100
}

variable "capacity_provider_managed" {
  description = "The capacity provider's managed scaling, termination protection and draining (on: the module's defaults). False turns all three off."
  type        = bool
  default     = true
}

variable "cluster_min_size" {
  description = "Minimum (and initial) number of instances."
  type        = number
  default     = 2
}

variable "cluster_max_size" {
  description = "Maximum number of instances; room for the rollout to start new ones first."
  type        = number
  default     = 4
}

variable "cluster_wait_for_capacity_timeout" {
  description = "How long apply waits for instances to be InService (\"0\": not at all)."
  type        = string
  default     = "10m"
}

variable "service_desired_count" {
  description = "Tasks of the demo service."
  type        = number
  default     = 2
}

variable "rollout_enabled" {
  description = "Roll the instances out during apply when the launch template changes."
  type        = bool
  default     = true
}

variable "rollout_helper_path" {
  description = "ecs-rollout to run (e.g. the repository's helper/ecs-rollout). Null: $ECS_ROLLOUT_HELPER, PATH, or a build from the sources, cached."
  type        = string
  default     = null
}

variable "rollout_batch_size" {
  description = "Instances replaced at a time. Null: the helper's default."
  type        = number
  default     = null
}

variable "rollout_drain_timeout" {
  description = "Seconds to wait for a batch's tasks to leave the old instances. Null: the helper's default."
  type        = number
  default     = null
}

variable "rollout_instance_timeout" {
  description = "Seconds to wait for new instances to serve. Null: the helper's default."
  type        = number
  default     = null
}

variable "rollout_extra_args" {
  description = "More ecs-rollout arguments, one per element."
  type        = list(string)
  default     = []
}
