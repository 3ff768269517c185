@lifecycle
Feature: A whole call reaches our webhook
  As the team integrating Hamsa calls
  we want every event of a call acknowledged quickly and as the contract says,
  so that the platform never retries or drops what our CRM needs.

  Scenario: A screening interview is acknowledged from start to end
    Given the call "job-interview"
    When the platform delivers the whole call
    Then every event is acknowledged
    And every answer arrives within 5 seconds
    And every answer matches the contract
    And every answer has "received" equal to true
    And the receiver recorded:
      | field           | value |
      | turns           | 16    |
      | tools           | 1     |
      | transcriptTurns | 16    |

  Scenario Outline: Each kind of event is acknowledged on its own
    Given the call "sales-outbound-tools"
    When the platform delivers the "<event>" event
    Then the answer status is 200
    And the answer has "received" equal to true
    And every answer matches the contract

    Examples:
      | event                |
      | call.started         |
      | call.answered        |
      | transcription.update |
      | tool.executed        |
      | call.ended           |

  Scenario: A call nobody answered still ends cleanly
    Given the call "no-answer"
    When the platform delivers the whole call
    Then every event is acknowledged
    And the receiver recorded 0 "call.answered" events
    And the receiver recorded 1 "call.ended" event
