@malformed
Feature: Bad requests are rejected, not retried forever

  Scenario: A body that is not JSON is answered 400
    Given the call "job-interview"
    When the platform sends a body that is not JSON
    Then the answer status is 400
    And the answer has "error" equal to "Invalid payload"
    And every answer matches the contract

  Scenario Outline: An event without <field> is rejected
    Given the call "job-interview"
    When the platform sends the "transcription.update" event without "<field>"
    Then the answer status is 4xx

    Examples:
      | field     |
      | callId    |
      | eventType |
      | timestamp |

  Scenario: A speaker the contract does not know is still acknowledged
    Given the call "job-interview"
    And field "data.data.speaker" of the "transcription.update" event is set to "system"
    When the platform delivers the "transcription.update" event
    Then the answer status is 200
