@duplicates
Feature: Redelivered events are processed once
  The platform redelivers an event when an answer is slow or lost. The same
  callId, eventType and timestamp is the same event.

  Scenario: call.ended delivered three times is stored and processed once
    Given the call "support-resolved"
    When the platform delivers the "call.ended" event 3 times
    Then every event is acknowledged
    And the answer has "duplicate" equal to true
    And the receiver recorded 1 "call.ended" event
    And the "call.ended" event took effect 1 time

  Scenario: The duplicate checks of the catalog pass
    Given the call "job-interview"
    Then the "duplicate.ack" check passes
    And the "duplicate.flag" check passes
    And the "duplicate.effect" check passes
