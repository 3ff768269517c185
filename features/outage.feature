@outage
Feature: Nothing is lost in an outage
  The platform retries what got no answer and redelivers some events anyway.
  After a network outage in the middle of a busy period, every event the
  endpoint acknowledged must be recorded, and none processed twice.

  Scenario: After a 20-second network blackhole every event lands exactly once
    When the load scenario "outage-recovery" runs
    Then some deliveries were retried
    And every event was delivered
    And no acknowledged event is lost
    And no event took effect twice
    And every threshold of the load scenario holds
