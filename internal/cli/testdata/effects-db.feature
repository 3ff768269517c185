Feature: What the receiver kept, read from its own database

  Scenario: a whole call is kept, each event once
    Given the call "support-resolved"
    When the platform delivers the whole call
    Then the receiver recorded 1 "call.ended" event
    And the "call.ended" event took effect 1 time

  Scenario: a redelivered call.ended takes effect once
    Given the call "support-resolved"
    When the platform delivers the "call.ended" event 3 times
    Then the receiver recorded 1 "call.ended" event
    And the "call.ended" event took effect 1 time
