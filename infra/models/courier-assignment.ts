// The sandbox courier network's assignments: one courier per order, however often asked.

import { Schema, type Connection } from 'mongoose';

export interface CourierAssignmentDocument {
  _id: string; // the order id
  courierId: string;
  name: string;
  phone: string;
  assignedAt: Date;
}

const courierAssignmentSchema = new Schema<CourierAssignmentDocument>(
  {
    _id: { type: String, required: true },
    courierId: { type: String, required: true },
    name: { type: String, required: true },
    phone: { type: String, required: true },
    assignedAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'courier_assignments' },
);

export function defineCourierAssignmentModel(connection: Connection) {
  return connection.model<CourierAssignmentDocument>('CourierAssignment', courierAssignmentSchema);
}
