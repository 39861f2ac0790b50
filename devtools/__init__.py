"""Tools for a developer's machine: the demo, the simulators, an embedded Redis and the local
carrier-shaped servers (Twilio, Alibaba Cloud SMS). Production code never imports these; the
`hotline demo` and `hotline simulate` commands load them when they run."""
