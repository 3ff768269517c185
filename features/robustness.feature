@robustness
Feature: The webhook tolerates what real deliveries look like

  Scenario: An event type we do not know yet is acknowledged
    Given the call "job-interview"
    When the platform sends an event of the unknown type "call.transferred"
    Then the answer status is 200
    And the answer has "warning" equal to "Unknown event type"

  Scenario: Events out of order are all acknowledged
    Given the call "sales-outbound-tools"
    When the platform delivers the call's events in this order:
      | event                |
      | call.answered        |
      | call.started         |
      | transcription.update |
      | call.ended           |
      | tool.executed        |
      | transcription.update |
    Then every event is acknowledged

  Scenario: A call whose call.answered never arrives is still recorded
    Given the call "support-urgent-unresolved"
    When the platform delivers the whole call without the "call.answered" event
    Then every event is acknowledged
    And the receiver recorded 1 "call.ended" event

  @large
  Scenario: A one-hour call's transcript is accepted
    Given the call "long-hour"
    When the platform delivers the "call.ended" event
    Then the answer status is 200

  @large
  Scenario: A transcript of a megabyte is accepted
    Given the call "job-interview"
    When the platform sends a call.ended event with a transcript of 1 MB
    Then the answer status is 200
    And the "payload.large" check passes

  Scenario: Every answer arrives within the 5-second budget
    Given the call "support-resolved"
    When the platform delivers the whole call
    Then every answer arrives within 5 seconds
    And the "latency.5s" check passes
