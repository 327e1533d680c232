# The fleet's own network: a custom-mode VPC with one regional subnet, and Cloud NAT so the
# private VMs reach package mirrors and registries without public addresses.

resource "google_compute_network" "fleet" {
  name                    = "${var.name_prefix}-vpc"
  description             = "play fleet network (${var.env})"
  auto_create_subnetworks = false
  routing_mode            = "REGIONAL"
}

resource "google_compute_subnetwork" "fleet" {
  name          = "${var.name_prefix}-${var.region}"
  description   = "play fleet subnet: bastion and app VMs"
  region        = var.region
  network       = google_compute_network.fleet.id
  ip_cidr_range = var.subnet_cidr

  # Google APIs (Artifact Registry, Logging, Monitoring) stay reachable without a public IP.
  private_ip_google_access   = true
  private_ipv6_google_access = "ENABLE_OUTBOUND_VM_ACCESS_TO_GOOGLE"

  log_config {
    aggregation_interval = "INTERVAL_5_MIN"
    flow_sampling        = 0.5
    metadata             = "INCLUDE_ALL_METADATA"
  }
}

resource "google_compute_router" "fleet" {
  name    = "${var.name_prefix}-router"
  region  = var.region
  network = google_compute_network.fleet.id
}

resource "google_compute_router_nat" "fleet" {
  name                               = "${var.name_prefix}-nat"
  region                             = var.region
  router                             = google_compute_router.fleet.name
  nat_ip_allocate_option             = "AUTO_ONLY"
  source_subnetwork_ip_ranges_to_nat = "LIST_OF_SUBNETWORKS"

  subnetwork {
    name                    = google_compute_subnetwork.fleet.id
    source_ip_ranges_to_nat = ["ALL_IP_RANGES"]
  }

  log_config {
    enable = true
    filter = "ERRORS_ONLY"
  }
}
